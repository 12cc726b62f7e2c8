"""A password reset by e-mail never signs anyone in and never skips the second factor (DESIGN T4)."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse

from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a new lantern over the quiet river"


def _request_reset(client: Client, email: str) -> str:
    """Asks for a reset and returns the path of the link in the e-mail."""
    response = client.post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    found = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", str(mail.outbox[0].body))
    assert found is not None, mail.outbox[0].body
    return found.group(1)


def _set_new_password(client: Client, link: str) -> None:
    form = client.get(link)
    assert form.status_code == 302  # allauth moves the key from the URL into the session
    page = client.get(form["Location"])
    assert page.status_code == 200
    done = client.post(form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("account_reset_password_from_key_done")


def test_the_reset_email_is_in_japanese(client: Client, cast: Cast) -> None:
    _request_reset(client, cast.office_a_cm.email)
    message = mail.outbox[0]
    assert message.to == [cast.office_a_cm.email]
    assert message.subject.startswith("[介護認定 進捗照会] ")
    assert "パスワード" in message.subject
    assert "パスワード" in message.body
    assert "You're receiving this email" not in message.body


def test_a_reset_does_not_sign_in_and_the_second_factor_is_still_asked(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    link = _request_reset(client, user.email)

    _set_new_password(client, link)

    assert "_auth_user_id" not in client.session
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("account_login"))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(PASSWORD)

    response = client.post(reverse("account_login"), {"login": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("web:home")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_reset_is_audited(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    _set_new_password(client, _request_reset(client, user.email))
    event = AuditEvent.objects.get(event_type=EventType.AUTH_PASSWORD_RESET, actor=user)
    assert event.target_id == str(user.pk)
    assert not AuditEvent.objects.filter(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=user).exists()


def test_a_reset_link_works_only_once(client: Client, cast: Cast) -> None:
    link = _request_reset(client, cast.office_a_cm.email)
    _set_new_password(client, link)

    again = Client().get(link)

    assert again.status_code in {200, 302}
    if again.status_code == 302:
        again = Client().get(again["Location"])
    assert 'name="password1"' not in again.content.decode()


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client: Client, cast: Cast) -> None:
    known = client.post(reverse("account_reset_password"), {"email": cast.office_a_cm.email})
    unknown = Client().post(reverse("account_reset_password"), {"email": "nobody-here@test.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


def test_a_reset_keeps_every_second_factor_and_the_old_code_completes_the_login(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    before = sorted(Authenticator.objects.filter(user=user).values_list("pk", "type", "data"))
    assert {row[1] for row in before} == {"totp", "recovery_codes"}

    _set_new_password(client, _request_reset(client, user.email))

    assert sorted(Authenticator.objects.filter(user=user).values_list("pk", "type", "data")) == before
    assert not AuditEvent.objects.filter(event_type=EventType.MFA_AUTHENTICATOR_REMOVED).exists()
    client.post(reverse("account_login"), {"login": user.email, "password": NEW_PASSWORD})
    done = client.post(reverse("mfa_authenticate"), {"code": current_totp(cast.totp_secrets[user.email])})
    assert done.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200
