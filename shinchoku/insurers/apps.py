from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class InsurersConfig(AppConfig):
    name = "shinchoku.insurers"
    verbose_name = pgettext_lazy("plural", "保険者")
