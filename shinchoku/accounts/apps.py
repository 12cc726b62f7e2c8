from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class AccountsConfig(AppConfig):
    name = "shinchoku.accounts"
    verbose_name = pgettext_lazy("plural", "利用者")

    def ready(self) -> None:
        # Audit what allauth and axes do on our behalf (logins, second factors, lockouts).
        from shinchoku.accounts import receivers  # noqa: F401
