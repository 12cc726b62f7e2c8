from django.apps import AppConfig


class OfficesConfig(AppConfig):
    name = "shinchoku.offices"
    verbose_name = "事業所"
