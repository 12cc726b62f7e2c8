"""Key rotation (DESIGN T5): after a new data key is put first in the ring, every 被保険者番号 and
every second-factor secret ends up under it, still decrypts to the same plaintext, and sign-in
with TOTP keeps working even once the old key is gone. Runs are resumable and idempotent."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.adapters import MFAAdapter
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.identity import decrypt_insured
from shinchoku.cases.models import Case
from shinchoku.cases.rotation import RotationError, cases_rotate_data_key
from shinchoku.insurers.models import Insurer
from shinchoku.lib.crypto import KeyRing, encode_key, generate_key_spec
from shinchoku.ops.demo import current_totp
from tests.cases import make_case
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db

NEW_KID = "n2"


def _spec(ring: KeyRing) -> str:
    return ",".join(f"{kid}:{encode_key(key)}" for kid, key in ring.keys.items())


def _make_cases(insurer: Insurer, count: int, start: int = 0) -> dict[int, str]:
    """``count`` cases under the current key; returns pk → 被保険者番号."""
    made = {}
    for i in range(start, start + count):
        number = f"{i:010d}"
        case = make_case(insurer, number, date(2025, 4, 1))
        made[case.pk] = number
    return made


def _mfa_plaintexts() -> dict[int, dict[str, Any]]:
    adapter = MFAAdapter()
    found: dict[int, dict[str, Any]] = {}
    for auth in Authenticator.objects.filter(type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]):
        found[auth.pk] = {k: adapter.decrypt(v) for k, v in auth.data.items() if k in ("secret", "seed")}
    return found


@pytest.fixture
def old_ring(settings: Any) -> KeyRing:
    ring: KeyRing = settings.DATA_KEYRING
    return ring


@pytest.fixture
def rotated(settings: Any, old_ring: KeyRing) -> KeyRing:
    """The ring after step 1 of the procedure: a new key first, the old one still after it."""
    ring = KeyRing.parse(f"{generate_key_spec(NEW_KID)},{_spec(old_ring)}")
    settings.DATA_KEYRING = ring
    return ring


@pytest.fixture
def cases(cast: Cast) -> dict[int, str]:
    return {**_make_cases(cast.insurer_a, 5), **_make_cases(cast.insurer_b, 4, start=100)}


def _kids() -> set[str]:
    return {token.partition("$")[0] for token in Case.objects.values_list("insured_number_enc", flat=True)}


def _all_readable(expected: dict[int, str]) -> bool:
    rows = Case.objects.select_related("insurer")
    return {c.pk: decrypt_insured(c.insurer.number, c.insured_number_enc) for c in rows} == expected


def test_every_case_and_secret_ends_under_the_new_key_with_the_same_plaintext(
    cast: Cast, cases: dict[int, str], old_ring: KeyRing, settings: Any
) -> None:
    secrets_before = _mfa_plaintexts()
    codes_before = {
        a.user_id: RecoveryCodes(a).generate_codes()
        for a in Authenticator.objects.filter(type=Authenticator.Type.RECOVERY_CODES)
    }
    settings.DATA_KEYRING = KeyRing.parse(f"{generate_key_spec(NEW_KID)},{_spec(old_ring)}")
    authenticators = len(secrets_before)

    assert cases_rotate_data_key(batch_size=3) == len(cases) + authenticators

    settings.DATA_KEYRING = KeyRing.parse(_spec(settings.DATA_KEYRING).split(",")[0])  # old key removed
    assert _kids() == {NEW_KID}
    assert _all_readable(cases)
    for auth in Authenticator.objects.filter(type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]):
        assert all(auth.data[k].startswith(f"{NEW_KID}$") for k in ("secret", "seed") if k in auth.data)
    assert _mfa_plaintexts() == secrets_before
    assert {
        a.user_id: RecoveryCodes(a).generate_codes()
        for a in Authenticator.objects.filter(type=Authenticator.Type.RECOVERY_CODES)
    } == codes_before


def test_sign_in_with_totp_still_works_after_the_old_key_is_removed(
    client: Client, cast: Cast, rotated: KeyRing, settings: Any
) -> None:
    cases_rotate_data_key()
    settings.DATA_KEYRING = KeyRing.parse(_spec(rotated).split(",")[0])
    user = cast.office_a_cm
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(cast.totp_secrets[user.email])})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


def test_one_audit_event_per_run_with_counts_by_old_key(
    cast: Cast, cases: dict[int, str], rotated: KeyRing, old_ring: KeyRing
) -> None:
    authenticators = Authenticator.objects.count()
    before = AuditEvent.objects.count()
    cases_rotate_data_key(batch_size=2)
    events = AuditEvent.objects.filter(event_type=EventType.CASES_KEY_ROTATED)
    assert AuditEvent.objects.count() == before + 1
    event = events.get()
    assert event.outcome == Outcome.SUCCESS
    assert event.actor is None
    assert event.details == {
        "active_kid": NEW_KID,
        "cases_by_old_kid": {old_ring.active_kid: len(cases)},
        "authenticators_by_old_kid": {old_ring.active_kid: authenticators},
        "proofs_by_old_kid": {},
        "total": len(cases) + authenticators,
        "completed": True,
    }


def test_a_second_run_does_nothing(cast: Cast, cases: dict[int, str], rotated: KeyRing) -> None:
    cases_rotate_data_key()
    tokens = list(Case.objects.order_by("pk").values_list("insured_number_enc", flat=True))
    secrets = list(Authenticator.objects.order_by("pk").values_list("data", flat=True))
    events = AuditEvent.objects.count()
    assert cases_rotate_data_key() == 0
    assert list(Case.objects.order_by("pk").values_list("insured_number_enc", flat=True)) == tokens
    assert list(Authenticator.objects.order_by("pk").values_list("data", flat=True)) == secrets
    assert AuditEvent.objects.count() == events


def test_a_run_without_a_new_key_does_nothing(cast: Cast, cases: dict[int, str]) -> None:
    assert cases_rotate_data_key() == 0
    assert not AuditEvent.objects.filter(event_type=EventType.CASES_KEY_ROTATED).exists()


def test_a_bounded_run_leaves_every_row_readable_and_the_next_run_finishes(
    cast: Cast, cases: dict[int, str], rotated: KeyRing, old_ring: KeyRing
) -> None:
    assert cases_rotate_data_key(batch_size=2, max_batches=2) == 4
    assert _kids() == {NEW_KID, old_ring.active_kid}
    assert _all_readable(cases)
    event = AuditEvent.objects.get(event_type=EventType.CASES_KEY_ROTATED)
    assert event.details["completed"] is False

    assert cases_rotate_data_key(batch_size=2) == len(cases) - 4 + Authenticator.objects.count()
    assert _kids() == {NEW_KID}
    assert _all_readable(cases)


def test_a_row_that_cannot_be_decrypted_stops_the_run_after_the_committed_batches(
    cast: Cast, cases: dict[int, str], rotated: KeyRing, old_ring: KeyRing
) -> None:
    pks = sorted(cases)
    broken = pks[5]  # in the third batch of two
    Case.objects.filter(pk=broken).update(insured_number_enc="gone$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(RotationError) as info:
        cases_rotate_data_key(batch_size=2)
    assert f"#{broken}" in str(info.value)
    assert "gone" in str(info.value)
    rows = dict(Case.objects.values_list("pk", "insured_number_enc"))
    assert all(rows[pk].startswith(f"{NEW_KID}$") for pk in pks[:4])  # two batches committed
    assert all(rows[pk].startswith(f"{old_ring.active_kid}$") for pk in pks[4:] if pk != broken)  # rolled back
    readable = {pk: n for pk, n in cases.items() if pk != broken}
    assert {
        c.pk: decrypt_insured(c.insurer.number, c.insured_number_enc)
        for c in Case.objects.select_related("insurer").exclude(pk=broken)
    } == readable
    event = AuditEvent.objects.get(event_type=EventType.CASES_KEY_ROTATED)
    assert event.outcome == Outcome.FAILURE
    assert event.details["cases_by_old_kid"] == {old_ring.active_kid: 4}


def test_a_migrated_recovery_code_list_is_re_encrypted_too(cast: Cast, rotated: KeyRing, old_ring: KeyRing) -> None:
    adapter = MFAAdapter()
    auth = Authenticator.objects.filter(type=Authenticator.Type.RECOVERY_CODES).first()
    assert auth is not None
    old = KeyRing.parse(_spec(old_ring))
    codes = ["12345678", "87654321"]
    auth.data = {**auth.data, "migrated_codes": [old.encrypt(c.encode(), aad=b"allauth.mfa") for c in codes]}
    Authenticator.objects.filter(pk=auth.pk).update(data=auth.data)
    cases_rotate_data_key()
    auth.refresh_from_db()
    assert all(token.startswith(f"{NEW_KID}$") for token in auth.data["migrated_codes"])
    assert [adapter.decrypt(token) for token in auth.data["migrated_codes"]] == codes


def test_the_command_reports_progress_and_completion_in_japanese(
    cast: Cast, cases: dict[int, str], rotated: KeyRing, old_ring: KeyRing
) -> None:
    out = io.StringIO()
    call_command("rotate_data_key", "--batch-size", "4", stdout=out)
    text = out.getvalue()
    assert f"現在の鍵ID: {NEW_KID}" in text
    assert f"切替前の鍵で暗号化された認定申請: {len(cases)}件。" in text
    assert f"認定申請 4/{len(cases)}件" in text
    assert f"鍵ID {NEW_KID} で暗号化し直しました。" in text
    assert f"古い鍵({old_ring.active_kid})を外して再起動できます" in text

    again = io.StringIO()
    call_command("rotate_data_key", stdout=again)
    assert "暗号化し直す必要のあるデータはありません" in again.getvalue()


def test_the_command_says_what_is_left_after_a_bounded_run(cast: Cast, cases: dict[int, str], rotated: KeyRing) -> None:
    out = io.StringIO()
    call_command("rotate_data_key", "--batch-size", "2", "--max-batches", "1", stdout=out)
    assert f"未処理の認定申請が {len(cases) - 2}件" in out.getvalue()


def test_the_command_fails_loudly_on_an_unreadable_row(cast: Cast, cases: dict[int, str], rotated: KeyRing) -> None:
    Case.objects.filter(pk=min(cases)).update(insured_number_enc="gone$AAAA")
    with pytest.raises(CommandError) as info:
        call_command("rotate_data_key", stdout=io.StringIO())
    assert "復号できません" in str(info.value)
