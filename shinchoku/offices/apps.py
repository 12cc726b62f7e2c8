from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class OfficesConfig(AppConfig):
    name = "shinchoku.offices"
    verbose_name = pgettext_lazy("plural", "事業所")
