from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shinchoku.cases"
    verbose_name = "認定申請"
