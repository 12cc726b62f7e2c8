"""Expiry reminders (issue 5 item 5, flow 2): ``manage.py remind_checklists`` e-mails the office's
admins 30 days before a signed checklist expires and again once it has, each once per checklist,
recorded and audited; idempotent, like ``disable_dormant``.

Office A signs on 23 November 2026 at 14:05: valid through 23 November 2027, expired from 00:00
on the 24th; the reminder before expiry is due from 00:00 on 25 October 2027.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator, Sequence
from datetime import datetime
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError

from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_disable
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.checklists.models import ChecklistPolicy, Submission
from shinchoku.checklists.reminders import JOB
from shinchoku.checklists.services import submission_start
from tests.checklists import sign_checklist
from tests.personas import Cast, make_user

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
SIGNED = datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO)
BEFORE_DUE = datetime(2027, 10, 25, 6, 30, tzinfo=TOKYO)
EXPIRED_DUE = datetime(2027, 11, 24, 6, 30, tzinfo=TOKYO)
Outbox = list[mail.EmailMessage]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(SIGNED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def signed(cast: Cast, clock: time_machine.Traveller) -> Submission:
    return sign_checklist(cast.office_a_admin)


def _run(clock: time_machine.Traveller, when: datetime, *args: str) -> str:
    clock.move_to(when)
    out = StringIO()
    call_command("remind_checklists", *args, stdout=out)
    return out.getvalue()


def _events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.CHECKLISTS_REMINDER_SENT).order_by("id"))


def _fresh(submission: Submission) -> Submission:
    return Submission.objects.get(pk=submission.pk)


def test_the_reminder_comes_30_days_before_and_not_the_day_before_that(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    output = _run(clock, datetime(2027, 10, 24, 23, 59, tzinfo=TOKYO))
    assert mailoutbox == []
    assert "合計: 期限前の通知 0件、期限切れの通知 0件。" in output

    output = _run(clock, BEFORE_DUE)

    [message] = mailoutbox
    assert message.to == [cast.office_a_admin.email]
    assert message.subject == "[介護認定 進捗照会] 情報安全管理チェックリストの有効期限が近づいています(2027/11/23まで)"
    assert _fresh(signed).reminded_before_at == BEFORE_DUE
    assert (
        f"期限前の通知: みどり居宅介護支援事業所(4370100010)(2026-04版、2027-11-23まで有効、#{signed.pk}) → 1人"
        in output
    )
    assert "合計: 期限前の通知 1件、期限切れの通知 0件。" in output


def test_each_reminder_is_sent_once_and_the_expiry_one_on_the_day_it_expired(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    _run(clock, BEFORE_DUE)
    _run(clock, BEFORE_DUE)
    _run(clock, datetime(2027, 11, 23, 23, 59, tzinfo=TOKYO))  # still current on its last day
    assert len(mailoutbox) == 1

    output = _run(clock, EXPIRED_DUE)

    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "[介護認定 進捗照会] 情報安全管理チェックリストの有効期限が切れました"
    assert "2027/11/23 で有効期限が切れました" in mailoutbox[1].body
    assert _fresh(signed).reminded_expired_at == EXPIRED_DUE
    assert "期限切れの通知: " in output
    for later in (EXPIRED_DUE, datetime(2028, 3, 1, 6, 30, tzinfo=TOKYO)):
        assert "合計: 期限前の通知 0件、期限切れの通知 0件。" in _run(clock, later)
    assert len(mailoutbox) == 2


def test_each_reminder_is_audited_as_the_job(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    _run(clock, BEFORE_DUE)
    _run(clock, EXPIRED_DUE)

    before, expired = _events()
    assert (before.actor, before.actor_label, before.office, before.insurer) == (None, JOB, cast.office_a, None)
    assert before.target_id == str(signed.pk)
    assert before.details == {"kind": "before_expiry", "valid_until": "2027-11-23", "recipients": 1}
    assert expired.details == {"kind": "expired", "valid_until": "2027-11-23", "recipients": 1}


def test_every_active_admin_of_the_office_gets_a_message_of_their_own_and_nobody_else(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    second = make_user("office-a-admin-2@test.example", Role.OFFICE_ADMIN, office=cast.office_a)
    gone = make_user("office-a-admin-gone@test.example", Role.OFFICE_ADMIN, office=cast.office_a)
    user_disable(actor=None, actor_label="test", user=gone, reason="退職")

    _run(clock, BEFORE_DUE)

    assert sorted(m.to[0] for m in mailoutbox) == sorted([cast.office_a_admin.email, second.email])
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mailoutbox)
    for message in mailoutbox:
        others = {cast.office_a_admin.email, second.email, cast.office_a_cm.email} - {message.to[0]}
        assert not any(address in message.body for address in others)
    assert _events()[0].details["recipients"] == 2


def test_the_message_is_japanese_says_until_when_and_which_insurers_stop_lookups(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox, settings: Any
) -> None:
    settings.BASE_URL = "https://shinchoku.example.lg.jp"
    ChecklistPolicy.objects.create(insurer=cast.insurer_a, require_for_lookup=True)
    ChecklistPolicy.objects.create(insurer=cast.insurer_b, require_for_lookup=True)  # office A: not approved by B

    _run(clock, BEFORE_DUE)

    body = mailoutbox[0].body
    assert body.startswith("みどり居宅介護支援事業所 管理者 様\n")
    assert "「介護事業所における情報安全管理チェックリスト」(2026-04版)は、2027/11/23 まで有効です。" in body
    assert "新しいチェックリストに署名するまで、貴事業所はこれらの保険者の申請を照会できなくなります: 熊本市" in body
    assert "横浜市" not in body
    assert "\nhttps://shinchoku.example.lg.jp/checklist/\n" in body
    assert "個人情報は含まれていません" in body


def test_a_renewed_checklist_silences_the_old_ones_reminders(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    _run(clock, BEFORE_DUE)
    clock.move_to(datetime(2027, 11, 1, 10, 0, tzinfo=TOKYO))
    renewed = sign_checklist(cast.office_a_admin)

    output = _run(clock, EXPIRED_DUE)

    assert len(mailoutbox) == 1  # the reminder before expiry only
    assert _fresh(signed).reminded_expired_at is None
    assert "期限切れの通知 0件" in output
    # The renewed one (valid through 1 November 2028) is reminded of in its own time.
    assert _run(clock, datetime(2028, 10, 2, 6, 30, tzinfo=TOKYO)).count("期限前の通知: ") == 0
    assert _run(clock, datetime(2028, 10, 3, 6, 30, tzinfo=TOKYO)).count("期限前の通知: ") == 1
    assert _fresh(renewed).reminded_before_at is not None


def test_a_run_that_missed_the_30_days_sends_only_the_expiry_reminder(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    _run(clock, datetime(2027, 12, 10, 6, 30, tzinfo=TOKYO))

    [message] = mailoutbox
    assert "有効期限が切れました" in message.subject
    assert _fresh(signed).reminded_before_at is None


def test_an_office_without_an_active_admin_is_tried_again_until_it_has_one(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    user_disable(actor=None, actor_label="test", user=cast.office_a_admin, reason="退職")

    output = _run(clock, BEFORE_DUE)

    assert mailoutbox == [] and _events() == []
    assert "期限前の通知の宛先なし: " in output and "有効な事業所管理者がいません" in output
    assert _fresh(signed).reminded_before_at is None

    successor = make_user("office-a-admin-new@test.example", Role.OFFICE_ADMIN, office=cast.office_a)
    _run(clock, datetime(2027, 10, 26, 6, 30, tzinfo=TOKYO))
    assert [m.to for m in mailoutbox] == [[successor.email]]


class RefusingBackend(BaseEmailBackend):
    """The edge this test mocks: a mail server that refuses every message."""

    def send_messages(self, email_messages: Sequence[mail.EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"no such user") for m in email_messages})


def test_a_reminder_the_server_refused_is_not_recorded_and_is_sent_on_the_next_run(
    cast: Cast,
    clock: time_machine.Traveller,
    signed: Submission,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    with caplog.at_level(logging.ERROR), pytest.raises(CommandError, match="通知メールを 1件送れませんでした"):
        _run(clock, BEFORE_DUE)

    assert "SMTPRecipientsRefused" in caplog.text
    assert cast.office_a_admin.email not in caplog.text
    assert _fresh(signed).reminded_before_at is None and _events() == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _run(clock, datetime(2027, 10, 26, 6, 30, tzinfo=TOKYO))
    assert len(mail.outbox) == 1 and _fresh(signed).reminded_before_at is not None


def test_a_dry_run_lists_what_it_would_send_and_changes_nothing(
    cast: Cast, clock: time_machine.Traveller, signed: Submission, mailoutbox: Outbox
) -> None:
    output = _run(clock, BEFORE_DUE, "--dry-run")

    assert "[試行: 記録・送信はしません]" in output
    assert "期限前の通知予定: みどり居宅介護支援事業所" in output
    assert "合計: 期限前の通知予定 1件、期限切れの通知予定 0件。" in output
    assert mailoutbox == [] and _events() == []
    assert _fresh(signed).reminded_before_at is None


def test_drafts_and_offices_without_a_signed_checklist_get_nothing(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: Outbox
) -> None:
    submission_start(actor=cast.office_b_admin, copy_previous=False)

    for when in (BEFORE_DUE, EXPIRED_DUE):
        _run(clock, when)

    assert mailoutbox == []
