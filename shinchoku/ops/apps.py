from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "shinchoku.ops"
    verbose_name = "運用"
