from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "shinchoku.web"
    verbose_name = "画面共通"
