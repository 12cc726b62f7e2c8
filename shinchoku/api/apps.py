from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shinchoku.api"
    verbose_name = "API連携"
