"""How allauth behaves here: no self sign-up, our client IP, second-factor secrets encrypted."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal import ratelimit  # as allauth.account.adapter itself does
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from shinchoku.web.http import client_ip
from shinchoku.web.mail import render_message

# Types that count as a second factor on their own; recovery codes only recover one.
PRIMARY_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
_MFA_AAD = b"allauth.mfa"
NOT_SET_UP_TEMPLATE = "accounts/email/reset_not_set_up"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come from an approval or an invitation (DESIGN §2), never from a public form.
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Only the per-IP cap here: the per-account limit on passwords is axes' alone.

        allauth would also count failures per typed login, and answer its own "too many
        attempts" message once that count is reached — a page that differs from the generic
        failure and so tells a locked account apart. axes locks at 10 and answers exactly like
        a wrong password. allauth's per-key "login_failed" limit then applies only to
        second-factor codes (allauth keys those per user), where it can be much stricter.
        """
        usage = ratelimit.consume(request, app="allauth.account", action="login_failed_ip")
        self._login_failed_rl_usage = usage
        if not usage:
            raise self.validation_error("too_many_login_attempts")

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request) or "0.0.0.0"  # noqa: S104 - a placeholder address, not a bind

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        context.setdefault("service_name", settings.SERVICE_NAME)
        super().send_mail(template_prefix, email, context)

    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        """An invited account that has not set its password yet gets no reset link: that would
        outlive the invitation's expiry and survive its cancellation. It is told to ask for a
        new invitation instead (to its own address, so nothing is revealed to the asker)."""
        if user.has_usable_password():
            super().send_password_reset_mail(user, email, context)
            return
        message = render_message(
            NOT_SET_UP_TEMPLATE,
            {"name": user.display_name, "email": email, "service_name": settings.SERVICE_NAME},
            [email],
        )
        message.send()


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        # TOTP secrets and recovery-code seeds are kept under the data key, outside the DB (T5).
        return str(settings.DATA_KEYRING.encrypt(text.encode("utf-8"), aad=_MFA_AAD))

    def decrypt(self, encrypted_text: str) -> str:
        return bytes(settings.DATA_KEYRING.decrypt(encrypted_text, aad=_MFA_AAD)).decode("utf-8")

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """The last TOTP or passkey cannot be removed: every account keeps a second factor."""
        if authenticator.type not in PRIMARY_FACTOR_TYPES:
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=PRIMARY_FACTOR_TYPES).exclude(
            pk=authenticator.pk
        )
        return bool(others.exists())

    def get_totp_issuer(self) -> str:
        return str(settings.MFA_TOTP_ISSUER)


def has_second_factor(user: Any) -> bool:
    found: bool = Authenticator.objects.filter(user_id=user.pk, type__in=PRIMARY_FACTOR_TYPES).exists()
    return found
