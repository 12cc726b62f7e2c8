"""Seals catch what the chain alone cannot: the newest rows deleted and the head rewound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from shinchoku.audit import triggers
from shinchoku.audit.chain import verify
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.audit.services import audit_record
from tests.personas import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def triggers_dropped() -> Iterator[None]:
    triggers.remove(connection)
    yield
    triggers.install(connection)


def _seal(tmp_path: Path) -> Path:
    call_command("audit_seal", out=tmp_path)
    (path,) = tmp_path.glob("audit-seal-*.json")
    return path


def _record(cast: Cast, n: int) -> list[AuditEvent]:
    return [audit_record(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=cast.a_staff) for _ in range(n)]


def test_a_seal_of_an_intact_trail_verifies(cast: Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _record(cast, 3)
    seal = _seal(tmp_path)
    _record(cast, 3)  # the trail grows after sealing: that is fine
    call_command("audit_verify", seal=[seal])
    assert "OK:" in capsys.readouterr().out
    assert AuditEvent.objects.filter(event_type=EventType.AUDIT_TRAIL_SEALED).count() == 1


@pytest.mark.usefixtures("triggers_dropped")
def test_a_rewound_chain_passes_the_chain_check_but_not_the_seal(
    cast: Cast, tmp_path: Path, settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.AUDIT_CHAIN_STRIPES = 1  # type: ignore[attr-defined]
    events = _record(cast, 5)
    chain = events[0].chain
    seal = _seal(tmp_path)
    # The attacker deletes the two newest rows and rewinds the head to what remains.
    last_kept = events[2]
    AuditEvent.objects.filter(pk__in=[events[3].pk, events[4].pk]).delete()
    AuditChainHead.objects.filter(chain=chain).update(last_seq=last_kept.seq, last_hash=last_kept.hash)
    assert verify().ok  # the chain alone cannot tell
    with pytest.raises(CommandError):
        call_command("audit_verify", seal=[seal])
    err = capsys.readouterr().err
    assert f"チェーン {chain} の連番 {events[4].seq}" in err
    assert "末尾の削除" in err


def test_an_edited_seal_is_refused(cast: Cast, tmp_path: Path) -> None:
    _record(cast, 2)
    path = _seal(tmp_path)
    seal = json.loads(path.read_text(encoding="utf-8"))
    chain = max(seal["heads"], key=lambda name: seal["heads"][name]["seq"])
    # An attacker lowers the sealed position to hide a rewind (the chain has at least one row).
    seal["heads"][chain]["seq"] -= 1
    path.write_text(json.dumps(seal), encoding="utf-8")
    with pytest.raises(CommandError, match="MAC"):
        call_command("audit_verify", seal=[path])
