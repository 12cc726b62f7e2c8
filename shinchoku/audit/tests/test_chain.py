from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from shinchoku.accounts.services import user_disable
from shinchoku.audit import triggers
from shinchoku.audit.chain import verify
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.audit.services import audit_record
from tests.personas import Cast

pytestmark = pytest.mark.django_db


def _record_some(cast: Cast, n: int = 6) -> list[AuditEvent]:
    return [
        audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff, details={"n": i}) for i in range(n)
    ]


def _single_chain(cast: Cast, settings: object) -> list[AuditEvent]:
    settings.AUDIT_CHAIN_STRIPES = 1  # type: ignore[attr-defined]
    events = _record_some(cast)
    assert len({e.chain for e in events}) == 1
    return events


def test_a_fresh_trail_verifies(cast: Cast) -> None:
    _record_some(cast)
    report = verify()
    assert report.ok, report.breaks
    assert report.events == AuditEvent.objects.count()


def test_each_row_links_to_the_previous_one_in_its_chain(cast: Cast, settings: object) -> None:
    events = _single_chain(cast, settings)
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    head = AuditChainHead.objects.get(chain=events[0].chain)
    assert (head.last_seq, head.last_hash) == (events[-1].seq, events[-1].hash)


def test_the_database_refuses_update_and_delete(cast: Cast) -> None:
    event = _record_some(cast, 1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(outcome="failure")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.fixture
def triggers_dropped() -> object:
    """An attacker with database access: the append-only triggers are gone."""
    triggers.remove(connection)
    yield
    triggers.install(connection)


@pytest.mark.usefixtures("triggers_dropped")
def test_verify_names_an_altered_row(cast: Cast, settings: object) -> None:
    events = _single_chain(cast, settings)
    AuditEvent.objects.filter(pk=events[2].pk).update(actor_label="someone-else@test.example")
    report = verify()
    assert [(b.chain, b.seq) for b in report.breaks] == [(events[2].chain, events[2].seq)]
    assert "改ざん" in report.breaks[0].reason


@pytest.mark.usefixtures("triggers_dropped")
def test_verify_names_a_deleted_row(cast: Cast, settings: object) -> None:
    events = _single_chain(cast, settings)
    AuditEvent.objects.filter(pk=events[3].pk).delete()
    report = verify()
    assert [(b.chain, b.seq) for b in report.breaks] == [(events[3].chain, events[3].seq)]


@pytest.mark.usefixtures("triggers_dropped")
def test_verify_notices_the_last_row_deleted(cast: Cast, settings: object) -> None:
    events = _single_chain(cast, settings)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    report = verify()
    assert [(b.chain, b.seq) for b in report.breaks] == [(events[-1].chain, events[-1].seq)]


@pytest.mark.usefixtures("triggers_dropped")
def test_verify_names_an_inserted_row(cast: Cast, settings: object) -> None:
    events = _single_chain(cast, settings)
    chain, slot = events[0].chain, events[2].seq
    # Make room after the second row and slip a forged row in, linked to the real one before.
    for event in sorted(events[2:], key=lambda e: -e.seq):
        AuditEvent.objects.filter(pk=event.pk).update(seq=event.seq + 1)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.pk = None
    forged.seq = slot
    forged.details = {"forged": True}
    forged.prev_hash = events[1].hash
    forged.save(force_insert=True)
    report = verify()
    assert [(b.chain, b.seq) for b in report.breaks] == [(chain, slot)]


@pytest.mark.usefixtures("triggers_dropped")
def test_verify_names_reordered_rows(cast: Cast, settings: object) -> None:
    events = _single_chain(cast, settings)
    first, second = events[1], events[2]
    AuditEvent.objects.filter(pk=first.pk).update(seq=-1)
    AuditEvent.objects.filter(pk=second.pk).update(seq=first.seq)
    AuditEvent.objects.filter(pk=first.pk).update(seq=second.seq)
    report = verify()
    assert [(b.chain, b.seq) for b in report.breaks] == [(first.chain, first.seq)]


@pytest.mark.usefixtures("triggers_dropped")
def test_audit_verify_command_fails_and_reports_the_break(
    cast: Cast, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _single_chain(cast, settings)
    AuditEvent.objects.filter(pk=events[0].pk).update(outcome="failure")
    with pytest.raises(CommandError):
        call_command("audit_verify")
    err = capsys.readouterr().err
    assert f"チェーン {events[0].chain} の連番 {events[0].seq}" in err


def test_audit_verify_command_passes_on_an_intact_trail(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    _record_some(cast)
    call_command("audit_verify")
    assert capsys.readouterr().out.startswith("OK:")


def test_a_failed_audit_write_rolls_back_the_change_it_records(cast: Cast, settings: object) -> None:
    settings.AUDIT_KEYRING = None  # type: ignore[attr-defined]  # any failure inside audit_record
    user = cast.a_staff
    with pytest.raises(AttributeError):
        user_disable(actor=cast.a_admin, user=user, reason="退職")
    user.refresh_from_db()
    assert user.is_active
