from django.apps import AppConfig


class LookupConfig(AppConfig):
    name = "shinchoku.lookup"
    verbose_name = "進捗照会"
