"""E-mail to care managers when an import changed cases they follow: who gets one, when (only
after the import committed), how many, and that it carries nothing about the cases themselves."""

from __future__ import annotations

import re
import smtplib
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_disable
from shinchoku.api.tests.helpers import issue, post_csv
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.audit.services import audit_record
from shinchoku.cases import progress
from shinchoku.cases.codes import CareLevel, Closure
from shinchoku.cases.importing.service import ImportOutcome
from shinchoku.cases.models import Case, ImportRun
from shinchoku.cases.tests.files import HEADER, TODAY, row, run_import, stored, table
from shinchoku.checklists.services import policy_set
from shinchoku.insurers.models import Insurer
from shinchoku.lookup.models import Follow, Preference
from shinchoku.lookup.notifications import notify_followers
from shinchoku.offices.models import ApprovalStatus
from shinchoku.offices.services import approval_set_status
from tests.checklists import sign_checklist
from tests.personas import Cast, make_user

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
Import = Callable[..., ImportOutcome]

FILE_HEADER = [*HEADER, "居宅介護支援事業所番号", "要介護度"]
# Distinctive numbers, so that a leak in any form (digits only, full width) is found by scanning.
FIRST, SECOND, THIRD, FOURTH = "2718281828", "3141592653", "1414213562", "1732050807"
SURVEYED = "R07.01.20"
SUBJECT = "[介護認定 進捗照会] フォロー中の申請に更新があります"


def count_line(n: int) -> str:
    return f"フォロー中の認定申請のうち{n}件の進捗が更新されました。"


def line(number: str, office: str, *, survey_done: str = "", certified: str = "", level: str = "") -> list[str]:
    return [*row(number, survey_done=survey_done, certified=certified), office, level]


@pytest.fixture
def imported(django_capture_on_commit_callbacks: CaptureCallbacks) -> Import:
    """Imports rows as a file upload and runs what waits for the commit, as a real commit would."""

    def _imported(insurer: Insurer, lines: Sequence[list[str]], *, dry_run: bool = False) -> ImportOutcome:
        with django_capture_on_commit_callbacks(execute=True):
            return run_import(insurer, table(FILE_HEADER, lines), dry_run=dry_run)

    return _imported


@pytest.fixture
def office_a(cast: Cast) -> str:
    return cast.office_a.number


def follow(user: User, insurer: Insurer, *numbers: str) -> list[Case]:
    cases = {number: case for (number, _, _), case in stored(insurer).items()}
    return [Follow.objects.create(user=user, case=cases[number]).case for number in numbers]


def notices_recorded() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=EventType.LOOKUP_NOTIFICATION_SENT).order_by("pk"))


@pytest.fixture
def followed(cast: Cast, imported: Import, office_a: str) -> list[Case]:
    """Four cases of office A at insurer A; its care manager follows the first three."""
    assert imported(cast.insurer_a, [line(n, office_a) for n in (FIRST, SECOND, THIRD, FOURTH)]).ok
    return follow(cast.office_a_cm, cast.insurer_a, FIRST, SECOND, THIRD)


def surveyed(office: str, *numbers: str) -> list[list[str]]:
    """All four cases, the given ones with a survey done since the first import."""
    return [line(n, office, survey_done=SURVEYED if n in numbers else "") for n in (FIRST, SECOND, THIRD, FOURTH)]


# ---------------------------------------------------------------------------------------------
# Who is told, and how often
# ---------------------------------------------------------------------------------------------


def test_a_follower_gets_one_email_however_many_of_their_cases_changed(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    outcome = imported(cast.insurer_a, [*surveyed(office_a, FIRST, SECOND, FOURTH), line("9999999999", office_a)])

    assert (outcome.run.created, outcome.run.updated, outcome.run.unchanged) == (1, 3, 1)
    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]
    assert count_line(2) in mailoutbox[0].body  # FOURTH changed but is not followed


def test_a_file_that_changes_nothing_sends_nothing(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    assert imported(cast.insurer_a, surveyed(office_a)).run.unchanged == 4
    assert mailoutbox == []

    imported(cast.insurer_a, surveyed(office_a, FIRST))
    assert len(mailoutbox) == 1
    assert imported(cast.insurer_a, surveyed(office_a, FIRST)).run.unchanged == 4
    assert len(mailoutbox) == 1
    assert len(notices_recorded()) == 1


def test_a_dry_run_sends_nothing(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    outcome = imported(cast.insurer_a, surveyed(office_a, FIRST), dry_run=True)

    assert (outcome.run.status, outcome.run.updated) == (ImportRun.Status.DRY_RUN, 1)
    assert mailoutbox == []
    assert notices_recorded() == []


def test_a_rejected_file_sends_nothing(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    outcome = imported(cast.insurer_a, [*surveyed(office_a, FIRST, SECOND), line("12345", office_a)])

    assert outcome.run.status == ImportRun.Status.REJECTED
    assert mailoutbox == []
    assert notices_recorded() == []


def test_followers_who_turned_the_email_off_get_none(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    Preference.objects.create(user=cast.office_a_cm, email_on_followed_change=False)
    follow(cast.office_a_admin, cast.insurer_a, FIRST)
    Preference.objects.create(user=cast.office_a_admin, email_on_followed_change=True)

    imported(cast.insurer_a, surveyed(office_a, FIRST))

    assert [message.to for message in mailoutbox] == [[cast.office_a_admin.email]]


def test_an_office_whose_approval_was_suspended_hears_nothing(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    approval_set_status(actor=None, insurer=cast.insurer_a, office=cast.office_a, status=ApprovalStatus.SUSPENDED)

    imported(cast.insurer_a, surveyed(office_a, FIRST))

    assert mailoutbox == []
    assert notices_recorded() == []


def test_an_office_kept_from_lookups_for_want_of_a_checklist_hears_nothing_until_it_signs_one(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    policy_set(actor=cast.a_admin, require_for_approval=False, require_for_lookup=True)

    imported(cast.insurer_a, surveyed(office_a, FIRST))
    assert mailoutbox == []
    assert notices_recorded() == []

    sign_checklist(cast.office_a_admin)
    imported(cast.insurer_a, surveyed(office_a, FIRST, SECOND))
    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]


def test_a_case_handed_to_another_office_no_longer_notifies_the_old_one(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    lines = surveyed(office_a, SECOND)
    lines[0] = line(FIRST, cast.office_b.number, survey_done=SURVEYED)  # moved and changed

    imported(cast.insurer_a, lines)

    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]
    assert count_line(1) in mailoutbox[0].body
    mailoutbox.clear()
    imported(cast.insurer_a, [line(FIRST, cast.office_b.number, survey_done=SURVEYED, certified="R07.02.03")])
    assert mailoutbox == []


def test_followers_of_other_offices_never_hear_of_a_case(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    # Follows that cannot arise through the lookup page, but must not leak if they ever did.
    follow(cast.office_b_cm, cast.insurer_a, FIRST)
    follow(cast.outsider, cast.insurer_a, FIRST)

    imported(cast.insurer_a, surveyed(office_a, FIRST))

    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]


def test_a_disabled_account_gets_nothing(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    user_disable(actor=None, user=cast.office_a_cm, reason="退職")

    imported(cast.insurer_a, surveyed(office_a, FIRST))

    assert mailoutbox == []
    assert notices_recorded() == []


def test_two_followers_of_one_case_get_one_email_each_and_the_run_is_audited(
    cast: Cast, imported: Import, followed: list[Case], office_a: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    follow(cast.office_a_admin, cast.insurer_a, FIRST, FOURTH)

    outcome = imported(cast.insurer_a, surveyed(office_a, FIRST, SECOND, FOURTH))

    by_recipient = {tuple(message.to): message.body for message in mailoutbox}
    assert len(mailoutbox) == 2
    assert count_line(2) in by_recipient[(cast.office_a_cm.email,)]
    assert count_line(2) in by_recipient[(cast.office_a_admin.email,)]
    [event] = notices_recorded()
    assert (event.insurer, event.actor, event.actor_label) == (cast.insurer_a, None, "notify_followers")
    assert (event.target_type, event.target_id) == ("cases.importrun", str(outcome.run.pk))
    assert event.details == {"recipients": 2, "cases": 3}  # FIRST, SECOND and FOURTH


# ---------------------------------------------------------------------------------------------
# Every import channel, and only after the commit
# ---------------------------------------------------------------------------------------------


def _by_upload(cast: Cast, data: bytes, tmp_path: Path) -> None:
    client = Client()
    client.force_login(cast.a_staff)
    response = client.post(reverse("cases:import_upload"), {"file": SimpleUploadedFile("x.csv", data, "text/csv")})
    assert response.status_code == 302


def _by_command(cast: Cast, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    call_command("import_cases", "--insurer", cast.insurer_a.number, str(path))


def _by_api(cast: Cast, data: bytes, tmp_path: Path) -> None:
    response = post_csv(issue(cast.a_admin)[1], data)
    assert response.status_code == 200, response.content


SENDERS: dict[ImportRun.Channel, Callable[[Cast, bytes, Path], None]] = {
    ImportRun.Channel.UPLOAD: _by_upload,
    ImportRun.Channel.COMMAND: _by_command,
    ImportRun.Channel.API: _by_api,
}


@pytest.mark.usefixtures("followed")
@pytest.mark.parametrize("channel", list(SENDERS))
def test_every_import_channel_notifies(
    cast: Cast,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: CaptureCallbacks,
    tmp_path: Path,
    channel: ImportRun.Channel,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        SENDERS[channel](cast, table(FILE_HEADER, surveyed(cast.office_a.number, FIRST)), tmp_path)

    assert ImportRun.objects.filter(channel=channel, status=ImportRun.Status.SUCCEEDED, updated=1).exists()
    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]


class Boom(RuntimeError):
    pass


@pytest.mark.usefixtures("followed")
def test_the_email_waits_for_the_commit(
    cast: Cast, mailoutbox: list[mail.EmailMessage], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    # The capture runs what waits for the commit as it exits, like the outermost commit would.
    with django_capture_on_commit_callbacks(execute=True) as waiting:
        assert run_import(cast.insurer_a, table(FILE_HEADER, surveyed(cast.office_a.number, FIRST))).ok
        assert mailoutbox == []

    assert len(waiting) == 1
    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]


@pytest.mark.usefixtures("followed")
def test_an_import_rolled_back_after_its_merge_sends_nothing(
    cast: Cast,
    mailoutbox: list[mail.EmailMessage],
    django_capture_on_commit_callbacks: CaptureCallbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse_completion(**kwargs: Any) -> object:
        if kwargs["event_type"] == EventType.CASES_IMPORT_COMPLETED:
            raise Boom
        return audit_record(**kwargs)

    monkeypatch.setattr("shinchoku.cases.importing.service.audit_record", refuse_completion)
    data = table(FILE_HEADER, surveyed(cast.office_a.number, FIRST))
    # A rolled-back block drops what it registered for the commit, so nothing is left to run.
    with django_capture_on_commit_callbacks(execute=True) as waiting, pytest.raises(Boom):
        run_import(cast.insurer_a, data)

    assert (waiting, mailoutbox) == ([], [])
    assert not Case.objects.exclude(survey_done_on=None).exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(cast.insurer_a, data).run.updated == 1
    assert len(mailoutbox) == 1


# ---------------------------------------------------------------------------------------------
# What the e-mail says, and what it never says
# ---------------------------------------------------------------------------------------------


def _date_forms(case: Case) -> Iterator[str]:
    for field in case._meta.concrete_fields:
        value = getattr(case, field.attname)
        if hasattr(value, "year") and hasattr(value, "month"):
            yield from (
                value.isoformat()[:10],
                f"{value.year}/{value.month:02d}/{value.day:02d}",
                f"{value.month}月{value.day}日",
                f"{value.month:02d}.{value.day:02d}",
                f"{value.month}/{value.day}",
            )


def test_the_email_tells_only_the_count_and_links_to_the_service(
    cast: Cast, imported: Import, office_a: str, mailoutbox: list[mail.EmailMessage], settings: Any
) -> None:
    settings.BASE_URL = "https://shinchoku.city.example.jp"
    Insurer.objects.filter(pk=cast.insurer_a.pk).update(care_level_enabled=True)
    insurer = Insurer.objects.get(pk=cast.insurer_a.pk)
    assert imported(insurer, [line(FIRST, office_a), line("H000000001", office_a)]).ok
    follow(cast.office_a_cm, insurer, FIRST, "H000000001")

    outcome = imported(
        insurer,
        [
            line(FIRST, office_a, survey_done=SURVEYED, certified="R07.02.03", level="要介護3"),
            line("H000000001", office_a, survey_done=SURVEYED),
        ],
    )

    [message] = mailoutbox
    cases = list(Case.objects.filter(insurer=insurer))
    assert outcome.run.updated == 2
    assert {case.care_level for case in cases} == {CareLevel.CARE_3, ""}
    linked = "https://shinchoku.city.example.jp/lookup/linked/"
    preferences = "https://shinchoku.city.example.jp/lookup/preferences/"
    assert (message.subject, message.from_email) == (SUBJECT, settings.DEFAULT_FROM_EMAIL)
    assert f"\n{linked}\n" in message.body
    assert f"\n{preferences}\n" in message.body
    assert count_line(2) in message.body

    text = unicodedata.normalize("NFKC", f"{message.subject}\n{message.body}")
    # Apart from the links and the count, not one digit: no number, date or case id in any form.
    rest = text.replace(linked, "").replace(preferences, "").replace(count_line(2), "")
    assert re.findall(r"\d", rest) == []
    for case in cases:
        assert f"#{case.pk}" not in text
        for form in _date_forms(case):
            assert form not in text, form
        shown = progress.case_progress(case, today=TODAY)
        assert shown.stage not in text
        assert all(step.label not in text for step in shown.steps)
    digits = re.sub(r"\D", "", text)
    assert FIRST not in digits
    assert "000000001" not in digits
    assert not re.search(r"令和|平成|R0\d|年.{1,2}月", text)
    labels = [str(label) for label in (*CareLevel.labels, *Closure.labels)]
    labels += [value for name, value in vars(progress).items() if name.startswith("STAGE_")]
    assert [label for label in labels if label in text] == []


@pytest.mark.usefixtures("followed")
def test_the_email_is_in_the_services_language_whatever_the_importers(
    cast: Cast, imported: Import, mailoutbox: list[mail.EmailMessage]
) -> None:
    with translation.override("en"):
        imported(cast.insurer_a, surveyed(cast.office_a.number, FIRST))

    [message] = mailoutbox
    assert message.subject == SUBJECT
    assert count_line(1) in message.body


@pytest.mark.usefixtures("followed")
def test_a_failure_to_send_is_logged_without_addresses_and_the_import_stands(
    cast: Cast,
    imported: Import,
    mailoutbox: list[mail.EmailMessage],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse(self: EmailBackend, messages: Sequence[mail.EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({cast.office_a_cm.email: (550, b"mailbox unavailable")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)

    outcome = imported(cast.insurer_a, surveyed(cast.office_a.number, FIRST))

    assert (outcome.run.status, outcome.run.updated) == (ImportRun.Status.SUCCEEDED, 1)
    assert Case.objects.filter(last_import=outcome.run).count() == 1
    assert mailoutbox == []
    assert notices_recorded() == []
    [record] = [r for r in caplog.records if r.name == "shinchoku.web.mail"]
    assert record.levelname == "ERROR"
    assert "SMTPRecipientsRefused" in record.getMessage()
    assert cast.office_a_cm.email not in caplog.text


def test_a_run_that_is_not_a_committed_import_notifies_nobody(
    cast: Cast, imported: Import, followed: list[Case], office_a: str
) -> None:
    dry = imported(cast.insurer_a, surveyed(office_a, FIRST), dry_run=True)

    assert notify_followers(dry.run.pk) == 0
    assert notify_followers(dry.run.pk + 1000) == 0


# ---------------------------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_number_of_follows(
    cast: Cast,
    office_a: str,
    settings: Any,
    django_capture_on_commit_callbacks: CaptureCallbacks,
    mailoutbox: list[mail.EmailMessage],
) -> None:
    settings.AUDIT_CHAIN_STRIPES = 1  # the chain head exists after the first import: no creation queries
    numbers = [f"27182818{i:02d}" for i in range(5)]

    def changed_run(survey_done: str) -> int:
        lines = [line(n, office_a, survey_done=survey_done) for n in numbers]
        with django_capture_on_commit_callbacks(execute=False):  # notify by hand below, counted
            outcome = run_import(cast.insurer_a, table(FILE_HEADER, lines))
        assert outcome.run.updated + outcome.run.created == len(numbers)
        return outcome.run.pk

    def queries_to_notify(run_id: int, expected: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert notify_followers(run_id) == expected
        return len(queries)

    changed_run("")
    follow(cast.office_a_cm, cast.insurer_a, *numbers[:2])
    few = queries_to_notify(changed_run("R07.01.20"), expected=1)

    people = [
        cast.office_a_admin,
        *(
            make_user(f"cm{i}@test.example", Role.CARE_MANAGER, office=cast.office_a, second_factor=False)
            for i in range(2)
        ),
    ]
    follow(cast.office_a_cm, cast.insurer_a, *numbers[2:])
    for person in people:
        follow(person, cast.insurer_a, *numbers)
    assert Follow.objects.count() == 20
    many = queries_to_notify(changed_run("R07.01.21"), expected=4)

    assert many == few
    assert len(mailoutbox) == 5
