"""Edges of the second factor: full-width codes, and never losing the last factor."""

from __future__ import annotations

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast, make_user, signed_in_recently

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_a_code_typed_in_full_width_digits_is_accepted(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    with time_machine.travel(timezone.now(), tick=False):
        client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        code = current_totp(cast.totp_secrets[user.email]).translate(FULL_WIDTH)
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


def _passkey_only_user(cast: Cast) -> tuple[User, Authenticator]:
    user = make_user("passkey-only@test.example", Role.CARE_MANAGER, office=cast.office_a, second_factor=False)
    passkey = Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "note PC"})
    return user, passkey


def test_the_only_passkey_cannot_be_removed(cast: Cast) -> None:
    user, passkey = _passkey_only_user(cast)
    client = signed_in_recently(user)
    response = client.post(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_list_webauthn")
    assert Authenticator.objects.filter(pk=passkey.pk).exists()


def test_a_passkey_can_be_removed_while_an_authenticator_app_remains(cast: Cast) -> None:
    user = cast.office_a_cm
    passkey = Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "note PC"})
    client = signed_in_recently(user)
    client.post(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}))
    assert not Authenticator.objects.filter(pk=passkey.pk).exists()
