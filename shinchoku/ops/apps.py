from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "shinchoku.ops"
    verbose_name = _("運用")

    def ready(self) -> None:
        from shinchoku.ops import checks  # noqa: F401  (registers the system checks)
