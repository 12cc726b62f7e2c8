"""The proof of designation (issue 5 item 1): stored encrypted, opened only by the admins of the
insurers the office applied to, served as a download that cannot run as a page, and every
opening audited (DESIGN T5, T6, T8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.conf import settings
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.services import totp_enrol_for_setup
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.rotation import RotationError, cases_rotate_data_key
from shinchoku.insurers.selectors import pledge_current
from shinchoku.lib.crypto import DecryptionError, KeyRing, encode_key, generate_key_spec
from shinchoku.offices import proofs
from shinchoku.offices.models import DesignationProof, OfficeApproval, OfficeKind
from shinchoku.offices.proofs import stale_proofs_exist
from shinchoku.offices.services import Application, Registration, office_register
from tests.documents import pdf, png
from tests.personas import Cast
from tests.registration import NUMBER, upload

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
PROOF = pdf(text="Synthetic designation notice 4370100051")


def _register(cast: Cast, *, to_b: bool = False, data: bytes = PROOF) -> Registration:
    insurers = [cast.insurer_a, cast.insurer_b] if to_b else [cast.insurer_a]
    return office_register(
        number=NUMBER,
        name="ひかり居宅介護支援事業所",
        kind=OfficeKind.HOME_CARE_SUPPORT,
        phone="096-123-4567",
        contact_name="山田 花子",
        applicant_name="中村 一郎",
        applicant_email="hikari-admin@test.example",
        applications=[Application(i, pledge_current(i).digest) for i in insurers],
        proof=upload(data),
    )


def _url(approval: OfficeApproval) -> str:
    return reverse("offices:proof_download", kwargs={"approval_id": approval.pk})


def _approval(registration: Registration, cast: Cast, insurer: str = "a") -> OfficeApproval:
    wanted = cast.insurer_a if insurer == "a" else cast.insurer_b
    return next(a for a in registration.approvals if a.insurer == wanted)


def _openings() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.OFFICES_PROOF_OPENED).order_by("pk"))


def test_the_insurers_admin_downloads_the_proof_with_safe_headers_and_it_is_audited(
    cast: Cast, sign_in: SignIn
) -> None:
    registration = _register(cast)
    approval = _approval(registration, cast)

    response = sign_in(cast.a_admin).get(_url(approval))

    assert response.status_code == 200
    assert response.content == PROOF
    assert response["Content-Type"] == "application/pdf"
    name = f"指定通知書_{NUMBER}.pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Length"] == str(len(PROOF))
    [event] = _openings()
    assert (event.actor, event.insurer, event.office) == (cast.a_admin, cast.insurer_a, registration.office)
    assert event.target_id == str(approval.proof_id)
    assert event.details == {"approval_id": approval.pk, "proof_sha256": approval.proof.sha256}  # type: ignore[union-attr]


def test_the_served_type_is_the_sniffed_one_not_what_the_sender_named_it(cast: Cast, sign_in: SignIn) -> None:
    approval = _approval(_register(cast, data=png()), cast)

    response = sign_in(cast.a_admin).get(_url(approval))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].endswith(quote(f"指定通知書_{NUMBER}.png"))


def test_another_insurers_admin_gets_404_for_it_and_opens_nothing(cast: Cast, sign_in: SignIn) -> None:
    approval = _approval(_register(cast), cast)

    assert sign_in(cast.b_admin).get(_url(approval)).status_code == 404
    assert _openings() == []


def test_each_insurer_applied_to_opens_the_proof_through_its_own_application_only(cast: Cast, sign_in: SignIn) -> None:
    registration = _register(cast, to_b=True)
    a, b = _approval(registration, cast, "a"), _approval(registration, cast, "b")

    assert sign_in(cast.b_admin).get(_url(b)).content == PROOF
    assert sign_in(cast.a_admin).get(_url(b)).status_code == 404
    assert sign_in(cast.b_admin).get(_url(a)).status_code == 404
    assert [e.insurer for e in _openings()] == [cast.insurer_b]


@pytest.mark.parametrize(
    "persona", ["a_staff", "a_auditor", "a_operator", "office_a_admin", "office_a_cm", "outsider", "platform_admin"]
)
def test_roles_that_never_open_proofs_are_refused(cast: Cast, sign_in: SignIn, persona: str) -> None:
    # 403 by role, as for every permission (web.decorators): it says nothing about the object.
    approval = _approval(_register(cast), cast)

    assert sign_in(getattr(cast, persona)).get(_url(approval)).status_code == 403
    assert _openings() == []


def test_the_applicant_office_itself_cannot_open_its_proof_here(cast: Cast, sign_in: SignIn) -> None:
    registration = _register(cast)
    client = sign_in(registration.applicant)
    # Before the second factor, nothing but enrolment; after it, no permission.
    assert client.get(_url(registration.approvals[0]))["Location"] == reverse("web:enrol")
    totp_enrol_for_setup(actor=None, user=registration.applicant, secret=generate_totp_secret())

    assert client.get(_url(registration.approvals[0])).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(cast: Cast, client: Client) -> None:
    approval = _approval(_register(cast), cast)

    response = client.get(_url(approval))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_application_without_a_proof_or_an_unknown_one_is_not_found(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    assert cast.approval_a.proof is None
    assert client.get(_url(cast.approval_a)).status_code == 404
    missing = OfficeApproval.objects.order_by("-pk").values_list("pk", flat=True)[0] + 100
    assert client.get(reverse("offices:proof_download", kwargs={"approval_id": missing})).status_code == 404


def test_a_proof_whose_opening_cannot_be_audited_is_not_served(cast: Cast, sign_in: SignIn) -> None:
    approval = _approval(_register(cast), cast)

    with mock.patch("shinchoku.audit.services.audit_record", side_effect=DatabaseError("audit unavailable")):
        response = sign_in(cast.a_admin).get(_url(approval))

    assert response.status_code == 503
    assert PROOF not in response.content


def test_the_proof_is_encrypted_at_rest_and_bound_to_its_office(cast: Cast) -> None:
    registration = _register(cast)
    proof = DesignationProof.objects.get(office=registration.office)

    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM offices_designationproof WHERE id = %s", [proof.pk])
        (stored,) = cursor.fetchone()
    assert b"Synthetic designation notice" not in stored.encode()
    assert b"%PDF" not in stored.encode()
    assert stored.startswith(f"{settings.DATA_KEYRING.active_kid}$")
    # Moved into another office's row, it does not open.
    proof.office_id = cast.office_b.pk
    with pytest.raises(DecryptionError):
        proofs.open_proof(proof)


def test_the_review_page_links_the_proof_for_admins_only_and_shows_the_pledge_accepted(
    cast: Cast, sign_in: SignIn
) -> None:
    approval = _approval(_register(cast), cast)
    detail = reverse("offices:approval_detail", kwargs={"approval_id": approval.pk})

    admin_page = sign_in(cast.a_admin).get(detail).content.decode()
    assert f'href="{_url(approval)}"' in admin_page
    assert "指定通知書をダウンロードする" in admin_page
    assert "提出されたファイル: 指定通知書.pdf" in admin_page
    assert "誓約・同意事項 第1版に、中村 一郎 さんが" in admin_page
    assert "096-123-4567" in admin_page
    assert "山田 花子" in admin_page

    staff_page = sign_in(cast.a_staff).get(detail).content.decode()
    assert _url(approval) not in staff_page
    assert "指定通知書を開けるのは、保険者の管理者だけです。" in staff_page


# -- key rotation ------------------------------------------------------------------------------


def test_rotating_the_data_key_reseals_proofs_so_the_old_key_can_go(cast: Cast, settings: Any) -> None:
    registration = _register(cast, to_b=True)
    old: KeyRing = settings.DATA_KEYRING
    old_spec = ",".join(f"{kid}:{encode_key(key)}" for kid, key in old.keys.items())
    new_spec = generate_key_spec("p2")
    settings.DATA_KEYRING = KeyRing.parse(f"{new_spec},{old_spec}")
    assert stale_proofs_exist()

    cases_rotate_data_key(batch_size=1)

    proof = DesignationProof.objects.get(office=registration.office)
    assert proof.sealed.startswith("p2$")
    assert not stale_proofs_exist()
    settings.DATA_KEYRING = KeyRing.parse(new_spec)  # the old key removed
    assert proofs.open_proof(proof) == PROOF
    event = AuditEvent.objects.get(event_type=EventType.CASES_KEY_ROTATED)
    assert event.details["proofs_by_old_kid"] == {old.active_kid: 1}


def test_a_proof_that_does_not_open_stops_the_rotation(cast: Cast, settings: Any) -> None:
    registration = _register(cast)
    DesignationProof.objects.filter(office=registration.office).update(sealed="gone$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    old: KeyRing = settings.DATA_KEYRING
    settings.DATA_KEYRING = KeyRing.parse(
        f"{generate_key_spec('p2')}," + ",".join(f"{kid}:{encode_key(key)}" for kid, key in old.keys.items())
    )

    with pytest.raises(RotationError, match="指定通知書"):
        cases_rotate_data_key()
