from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "shinchoku.web"
    verbose_name = _("画面共通")
