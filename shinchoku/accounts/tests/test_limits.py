"""Limits on guessing: second-factor codes per account, failed logins per IP, fixed lockout."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

GENERIC_FAILURE = "入力されたメールアドレスもしくはパスワードが正しくありません"


def _to_code_step(client: Client, email: str) -> None:
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")


def _wrong_code(secret: str) -> str:
    right = current_totp(secret)
    return f"{(int(right) + 1) % 1_000_000:06d}"


def test_after_ten_wrong_codes_even_the_right_code_is_refused(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    secret = cast.totp_secrets[user.email]
    with time_machine.travel(timezone.now(), tick=False):
        _to_code_step(client, user.email)
        for _ in range(10):
            response = client.post(reverse("mfa_authenticate"), {"code": _wrong_code(secret)})
            assert response.status_code == 200
        response = client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
    assert response.status_code == 200  # still on the code page
    assert client.get(reverse("web:home")).status_code == 302


def test_second_factor_guesses_are_capped_at_thirty_a_day(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    secret = cast.totp_secrets[user.email]
    start = timezone.now()
    _to_code_step(client, user.email)
    # Three windows of ten wrong codes, 16 minutes apart: the 15-minute cap never trips...
    for window in range(3):
        with time_machine.travel(start + timedelta(minutes=16 * window), tick=False):
            for _ in range(10):
                client.post(reverse("mfa_authenticate"), {"code": _wrong_code(secret)})
    # ...but the daily one does, so the right code is refused for the rest of the day.
    with time_machine.travel(start + timedelta(minutes=16 * 3 + 1), tick=False):
        client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
        assert client.get(reverse("web:home")).status_code == 302


def test_a_used_code_stays_used_however_full_the_cache_gets(client: Client, cast: Cast) -> None:
    user = cast.office_a_cm
    secret = cast.totp_secrets[user.email]
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        _to_code_step(client, user.email)
        client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
        assert client.get(reverse("web:home")).status_code == 200
        client.post(reverse("account_logout"))
        # Many other cache entries (rate-limit counters of a busy morning) must not evict the mark.
        cache.set_many({f"filler-{i}": i for i in range(400)})
        _to_code_step(client, user.email)
        client.post(reverse("mfa_authenticate"), {"code": current_totp(secret)})
        assert client.get(reverse("web:home")).status_code == 302


def test_fifty_failed_logins_from_one_address_stop_further_tries_from_it(client: Client, cast: Cast) -> None:
    start = timezone.now()
    # Spraying: one wrong password against many (here unknown) accounts, from one address,
    # slowly enough (10 a minute) to stay under the plain per-minute request limit.
    for i in range(50):
        with time_machine.travel(start + timedelta(seconds=6 * i), tick=False):
            client.post(reverse("account_login"), {"login": f"nobody{i}@test.example", "password": "x" * 14})
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        response = client.post(reverse("account_login"), {"login": cast.office_a_cm.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.get("Location") is None  # not let through, even with the right password
    assert "ログイン失敗が連続しています" in response.content.decode()


def test_tries_during_a_lockout_do_not_extend_it(client: Client, cast: Cast) -> None:
    email = cast.office_a_cm.email
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            client.post(reverse("account_login"), {"login": email, "password": "wrong password!!"})
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        response = client.post(reverse("account_login"), {"login": email, "password": "wrong again!!!!"})
        assert GENERIC_FAILURE in response.content.decode()
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
