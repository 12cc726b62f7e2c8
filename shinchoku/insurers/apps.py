from django.apps import AppConfig


class InsurersConfig(AppConfig):
    name = "shinchoku.insurers"
    verbose_name = "保険者"
