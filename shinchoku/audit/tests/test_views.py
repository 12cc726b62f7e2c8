"""The audit trail pages: each insurer reads and verifies its own trail only (T6, T8)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.audit import triggers
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.audit.services import audit_record
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


def _listed(client: Client, **query: str) -> list[AuditEvent]:
    response = client.get(reverse("audit:event_list"), query)
    assert response.status_code == 200
    return list(response.context["page"].object_list)


def _verifications(actor: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.AUDIT_TRAIL_VERIFIED, actor=actor))


def _stripped(page: str, url: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page.replace(url, "…"))


@pytest.fixture
def triggers_dropped() -> Iterator[None]:
    """An attacker with database access: the append-only triggers are gone."""
    triggers.remove(connection)
    yield
    triggers.install(connection)


def test_an_auditor_sees_their_own_insurers_events_only(cast: Cast, sign_in: SignIn) -> None:
    ours = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff)
    our_office = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.office_a_cm)
    theirs = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.b_staff)
    their_office = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.office_b_cm)
    unapproved_office = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.outsider)

    listed = _listed(sign_in(cast.a_auditor))

    ids = {event.pk for event in listed}
    assert {ours.pk, our_office.pk} <= ids
    assert not {theirs.pk, their_office.pk, unapproved_office.pk} & ids
    # Everything listed is insurer A's, or an office's that applied to insurer A.
    assert all(e.insurer_id == cast.insurer_a.pk or e.office_id == cast.office_a.pk for e in listed)


def test_the_page_does_not_show_another_insurers_people(cast: Cast, sign_in: SignIn) -> None:
    audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.b_staff)

    page = sign_in(cast.a_auditor).get(reverse("audit:event_list")).content.decode()

    assert cast.b_staff.email not in page
    assert cast.insurer_b.name not in page


def test_the_list_can_be_narrowed_to_one_event_type(cast: Cast, sign_in: SignIn) -> None:
    audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff)
    audit_record(event_type=EventType.AUTH_LOGIN_FAILED, outcome=Outcome.FAILURE, actor=cast.a_staff)

    listed = _listed(sign_in(cast.a_auditor), type=EventType.AUTH_LOGIN_FAILED)

    assert [e.event_type for e in listed] == [EventType.AUTH_LOGIN_FAILED]


def test_the_detail_of_an_own_event_opens(cast: Cast, sign_in: SignIn) -> None:
    event = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff)

    response = sign_in(cast.a_auditor).get(reverse("audit:event_detail", kwargs={"event_id": event.pk}))

    assert response.status_code == 200
    assert event.hash in response.content.decode()


def test_the_detail_of_another_insurers_event_is_not_found(cast: Cast, sign_in: SignIn) -> None:
    theirs = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.b_staff)
    missing = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000

    client = sign_in(cast.a_auditor)
    other_url, absent_url = (reverse("audit:event_detail", kwargs={"event_id": pk}) for pk in (theirs.pk, missing))
    other, absent = client.get(other_url), client.get(absent_url)

    assert other.status_code == absent.status_code == 404
    # Not an oracle: "someone else's" and "does not exist" read the same (but for the URL and CSRF token).
    assert _stripped(other.content.decode(), other_url) == _stripped(absent.content.decode(), absent_url)


def test_an_auditor_can_verify_the_trail_and_the_check_is_recorded(cast: Cast, sign_in: SignIn) -> None:
    for _ in range(3):
        audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff)
    client = sign_in(cast.a_auditor)
    assert reverse("audit:verify") in client.get(reverse("audit:event_list")).content.decode()  # the button
    own_chains = AuditChainHead.objects.filter(chain__startswith=f"insurer:{cast.insurer_a.pk}:")
    expected_events = AuditEvent.objects.filter(chain__in=own_chains.values("chain")).count()
    expected_chains = own_chains.count()

    response = client.post(reverse("audit:verify"))

    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok
    assert (report.chains, report.events) == (expected_chains, expected_events)
    [event] = _verifications(cast.a_auditor)
    assert (event.outcome, event.insurer) == (Outcome.SUCCESS, cast.insurer_a)
    assert event.details == {"chains": expected_chains, "events": expected_events, "breaks": []}


def test_an_insurer_admin_cannot_verify(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)
    assert reverse("audit:verify") not in client.get(reverse("audit:event_list")).content.decode()

    response = client.post(reverse("audit:verify"))

    assert response.status_code == 403
    assert not _verifications(cast.a_admin)


def test_verifying_needs_a_post(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_auditor)

    assert client.get(reverse("audit:verify")).status_code == 405
    assert not _verifications(cast.a_auditor)


@pytest.mark.usefixtures("triggers_dropped")
def test_a_tampered_row_fails_verification_and_the_failure_is_recorded(
    cast: Cast, sign_in: SignIn, settings: object
) -> None:
    settings.AUDIT_CHAIN_STRIPES = 1  # type: ignore[attr-defined]
    tampered = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff)
    audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff)
    AuditEvent.objects.filter(pk=tampered.pk).update(actor_label="someone-else@test.example")

    response = sign_in(cast.a_auditor).post(reverse("audit:verify"))

    assert response.status_code == 200
    assert "監査証跡に不整合が見つかりました(1件)" in response.content.decode()
    [event] = _verifications(cast.a_auditor)
    assert event.outcome == Outcome.FAILURE
    assert len(event.details["breaks"]) == 1


@pytest.mark.usefixtures("triggers_dropped")
def test_verification_covers_only_the_auditors_own_insurer(cast: Cast, sign_in: SignIn, settings: object) -> None:
    settings.AUDIT_CHAIN_STRIPES = 1  # type: ignore[attr-defined]
    theirs = audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.b_staff)
    AuditEvent.objects.filter(pk=theirs.pk).update(actor_label="someone-else@test.example")

    ours = sign_in(cast.a_auditor).post(reverse("audit:verify"))
    assert ours.context["report"].ok
    assert theirs.chain not in {b.chain for b in ours.context["report"].breaks}

    their_auditor = Client()
    their_auditor.force_login(cast.b_auditor)
    assert not their_auditor.post(reverse("audit:verify")).context["report"].ok
