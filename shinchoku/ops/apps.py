from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "shinchoku.ops"
    verbose_name = "運用"

    def ready(self) -> None:
        from shinchoku.ops import checks  # noqa: F401  (registers the system checks)
