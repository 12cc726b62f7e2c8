from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def _password_step(client: Client, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_password_then_totp_signs_in_and_is_audited(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    response = _password_step(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Not signed in yet: the second factor is still owed.
    assert client.get(reverse("web:home")).status_code == 302

    code = current_totp(cast.totp_secrets[user.email])
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    home = client.get(reverse("web:home"))
    assert home.status_code == 200
    assert "ようこそ" in home.content.decode()
    types = set(AuditEvent.objects.filter(actor=user).values_list("event_type", flat=True))
    assert {EventType.AUTH_LOGIN_SUCCEEDED, EventType.AUTH_MFA_USED} <= types


def test_a_wrong_password_gets_the_generic_message(client: Client, cast: Cast) -> None:
    response = _password_step(client, cast.office_a_cm.email, "wrong password entirely")
    assert response.status_code == 200
    assert "入力されたメールアドレスもしくはパスワードが正しくありません" in response.content.decode()
