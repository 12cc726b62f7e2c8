from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "shinchoku.audit"
    verbose_name = "監査証跡"
