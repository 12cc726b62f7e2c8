"""Dormant accounts (T3): warned by e-mail, then disabled by ``manage.py disable_dormant``, and
the counts an insurer admin sees per office.

The whole cast joins on Friday 10 January 2025 and nobody signs in unless a test says so. With the
defaults (90 days, warning 14 days before) the warning is due on 27 March and the disabling on
10 April (Asia/Tokyo days, whatever the hour of the run).
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.dormancy import DORMANT_REASON, JOB, DormancyPolicy
from shinchoku.accounts.models import User
from shinchoku.accounts.selectors import AccountCounts, account_counts_for_actor
from shinchoku.accounts.services import user_disable
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.offices.models import ApprovalStatus
from shinchoku.offices.services import approval_set_status
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast, build_cast

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
JOINED = datetime(2025, 1, 10, 9, 0, tzinfo=TOKYO)
WARNING_DAY = datetime(2025, 3, 27, 3, 0, tzinfo=TOKYO)  # joined + 90 - 14 days, at 03:00
DISABLING_DAY = datetime(2025, 4, 10, 3, 0, tzinfo=TOKYO)  # joined + 90 days


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    # The defaults, stated here so that an environment variable cannot move the dates.
    settings.ACCOUNTS_DORMANT_DAYS = 90
    settings.ACCOUNTS_DORMANT_WARNING_DAYS = 14


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(JOINED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def cast(db: None, clock: time_machine.Traveller) -> Cast:
    """The usual cast, created on JOINED (overrides conftest's, created today)."""
    return build_cast()


def _run(clock: time_machine.Traveller, when: datetime, *args: str) -> str:
    clock.move_to(when)
    out = StringIO()
    call_command("disable_dormant", *args, stdout=out)
    return out.getvalue()


def _sign_in_on(clock: time_machine.Traveller, when: datetime, *users: User) -> Client:
    """Signs each user in on ``when`` (Django records the last login); returns the last client."""
    clock.move_to(when)
    client = Client()
    for user in users:
        client = Client()
        client.force_login(user)
    return client


def _everyone_but(cast: Cast, *left_out: User) -> list[User]:
    return [u for u in cast.everyone().values() if u.pk not in {x.pk for x in left_out}]


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def _events(event_type: EventType, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type, **filters).order_by("id"))


def _recipients(outbox: Sequence[mail.EmailMessage]) -> set[str]:
    return {address for message in outbox for address in message.to}


def _covered(cast: Cast) -> set[str]:
    """Everyone the job warns and disables: the whole cast but the platform admin."""
    return {u.email for u in _everyone_but(cast, cast.platform_admin)}


# -- warning -------------------------------------------------------------------------------------


def test_it_warns_on_the_day_the_notice_begins_and_not_the_day_before(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    output = _run(clock, datetime(2025, 3, 26, 23, 59, tzinfo=TOKYO))

    assert mailoutbox == []
    assert not User.objects.filter(dormant_warned_at__isnull=False).exists()
    assert "合計: 無効化 0件、予告 0件。" in output

    output = _run(clock, datetime(2025, 3, 27, 0, 1, tzinfo=TOKYO))

    assert _recipients(mailoutbox) == _covered(cast)
    assert len(mailoutbox) == len(_covered(cast))  # one message each, one recipient each
    assert all(len(message.to) == 1 for message in mailoutbox)
    assert User.objects.filter(dormant_warned_at__isnull=False).count() == len(_covered(cast))
    assert f"合計: 無効化 0件、予告 {len(_covered(cast))}件。" in output
    assert f"予告: #{cast.office_a_cm.pk} ケアマネジャー(みどり居宅介護支援事業所) → 2025-04-10 に無効化" in output
    # The journal names accounts by id, role and tenant, not by name or address.
    assert cast.office_a_cm.email not in output


def test_the_warning_is_japanese_names_the_day_and_nobody_else(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage], settings: Any
) -> None:
    settings.BASE_URL = "https://shinchoku.example.lg.jp"
    dormant = cast.office_a_cm
    _sign_in_on(clock, datetime(2025, 3, 20, 10, 0, tzinfo=TOKYO), *_everyone_but(cast, dormant))

    _run(clock, WARNING_DAY)

    [message] = mailoutbox
    assert message.to == [dormant.email]
    assert message.subject == "[介護認定 進捗照会] 2025/04/10 にアカウントが無効になります(長期間ログインがありません)"
    body = message.body
    assert body.startswith("office-a-cm 様\n")
    assert f"介護認定 進捗照会サービス のアカウント({dormant.email})に、2025/01/10 以降ログインがありません。" in body
    assert (
        "90日間ログインのないアカウントは自動で無効になります。このアカウントは 2025/04/10 に無効になります。" in body
    )
    assert "2025/04/10 より前に、次のページから一度ログインしてください。" in body
    assert "\nhttps://shinchoku.example.lg.jp/\n" in body
    assert "パスワードや確認コードをお尋ねすることはありません" in body
    for other in _everyone_but(cast, dormant):
        assert other.email not in body + message.subject
        assert other.display_name not in body + message.subject
    for tenant in (cast.insurer_a.name, cast.insurer_b.name, cast.office_a.name, cast.office_b.name):
        assert tenant not in body


def test_someone_invited_who_never_set_a_password_is_told_to_ask_for_a_new_invitation(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    invited = cast.office_a_cm
    invited.set_unusable_password()
    invited.save(update_fields=["password"])
    _sign_in_on(clock, datetime(2025, 3, 20, 10, 0, tzinfo=TOKYO), *_everyone_but(cast, invited))

    _run(clock, WARNING_DAY)

    [message] = mailoutbox
    assert message.to == [invited.email]
    assert "まだパスワードが設定されていません" in message.body
    assert "2025/04/10 より前に所属先の管理者に新しい招待を依頼し" in message.body
    assert "一度ログインしてください" not in message.body  # they cannot: there is no password to sign in with


def test_the_warning_is_audited_as_the_job_with_the_dates(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    _run(clock, WARNING_DAY)

    events = _events(EventType.ACCOUNTS_USER_DORMANCY_WARNED)
    assert {e.target_id for e in events} == {str(u.pk) for u in _everyone_but(cast, cast.platform_admin)}
    [event] = [e for e in events if e.target_id == str(cast.office_a_cm.pk)]
    assert (event.actor, event.actor_label) == (None, JOB)
    assert (event.insurer, event.office) == (None, cast.office_a)
    assert event.details == {"last_active_on": "2025-01-10", "disable_on": "2025-04-10"}
    [event] = [e for e in events if e.target_id == str(cast.a_staff.pk)]
    assert (event.insurer, event.office) == (cast.insurer_a, None)


# -- disabling -----------------------------------------------------------------------------------


def test_it_disables_only_once_the_period_has_passed_after_a_warning(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    _run(clock, WARNING_DAY)

    output = _run(clock, datetime(2025, 4, 9, 23, 59, tzinfo=TOKYO))

    assert User.objects.filter(is_active=True).count() == len(cast.everyone())
    assert "合計: 無効化 0件、予告 0件。" in output

    output = _run(clock, DISABLING_DAY)

    assert set(User.objects.filter(is_active=True)) == {cast.platform_admin}
    leaver = _fresh(cast.office_a_cm)
    assert leaver.disabled_reason == DORMANT_REASON == "長期間利用がないため自動で無効化"
    assert leaver.disabled_at == DISABLING_DAY
    assert f"合計: 無効化 {len(_covered(cast))}件、予告 0件。" in output
    assert f"無効化: #{leaver.pk} ケアマネジャー(みどり居宅介護支援事業所)" in output
    [event] = _events(EventType.ACCOUNTS_USER_DISABLED, target_id=str(leaver.pk))
    assert (event.actor, event.actor_label, event.office) == (None, JOB, cast.office_a)
    assert event.details == {"reason": DORMANT_REASON, "sessions_ended": 0}


def test_nobody_is_disabled_without_a_warning_and_a_late_warning_gives_the_full_notice(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    # The job did not run for months (or was just installed): the accounts are long past 90 days.
    late = datetime(2025, 5, 1, 3, 0, tzinfo=TOKYO)

    output = _run(clock, late)

    assert User.objects.filter(is_active=False).count() == 0
    assert f"予告 {len(_covered(cast))}件" in output
    assert all("2025/05/15 にアカウントが無効になります" in m.subject for m in mailoutbox)

    _run(clock, datetime(2025, 5, 14, 3, 0, tzinfo=TOKYO))
    assert User.objects.filter(is_active=False).count() == 0

    _run(clock, datetime(2025, 5, 15, 3, 0, tzinfo=TOKYO))
    assert User.objects.filter(is_active=False).count() == len(_covered(cast))


def test_a_sign_in_after_the_warning_starts_everything_again(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    returning = cast.office_a_cm
    _run(clock, WARNING_DAY)
    _sign_in_on(clock, datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), returning)

    _run(clock, DISABLING_DAY)

    assert _fresh(returning).is_active
    assert not _fresh(cast.office_b_cm).is_active
    mailoutbox.clear()
    # A new period from 1 April: a new warning on 16 June (1 April + 76 days), not before.
    _run(clock, datetime(2025, 6, 15, 3, 0, tzinfo=TOKYO))
    assert mailoutbox == []
    _run(clock, datetime(2025, 6, 16, 3, 0, tzinfo=TOKYO))
    [message] = mailoutbox
    assert message.to == [returning.email]
    assert "2025/06/30 にアカウントが無効になります" in message.subject
    _run(clock, datetime(2025, 6, 29, 3, 0, tzinfo=TOKYO))
    assert _fresh(returning).is_active
    _run(clock, datetime(2025, 6, 30, 3, 0, tzinfo=TOKYO))
    assert not _fresh(returning).is_active


def test_a_warning_from_before_a_sign_in_never_counts_even_when_the_job_missed_weeks(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    returning = cast.office_a_cm
    _run(clock, WARNING_DAY)
    _sign_in_on(clock, datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), returning)
    mailoutbox.clear()

    # No run between April and July: on 1 July the account is past 90 days again, and its only
    # warning (27 March) came before the sign-in.
    _run(clock, datetime(2025, 7, 1, 3, 0, tzinfo=TOKYO))

    assert _fresh(returning).is_active
    [message] = mailoutbox
    assert message.to == [returning.email]
    assert "2025/07/15 にアカウントが無効になります" in message.subject


def test_a_second_run_on_the_same_day_sends_and_records_nothing_more(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    _run(clock, WARNING_DAY)
    sent, warned = len(mailoutbox), len(_events(EventType.ACCOUNTS_USER_DORMANCY_WARNED))

    output = _run(clock, WARNING_DAY + timedelta(hours=1))
    _run(clock, WARNING_DAY + timedelta(days=1))  # and the days after, until the deadline

    assert (len(mailoutbox), len(_events(EventType.ACCOUNTS_USER_DORMANCY_WARNED))) == (sent, warned)
    assert "合計: 無効化 0件、予告 0件。" in output

    _run(clock, DISABLING_DAY)
    disabled = len(_events(EventType.ACCOUNTS_USER_DISABLED))
    output = _run(clock, DISABLING_DAY + timedelta(hours=1))

    assert len(_events(EventType.ACCOUNTS_USER_DISABLED)) == disabled == len(_covered(cast))
    assert len(mailoutbox) == sent
    assert "合計: 無効化 0件、予告 0件。" in output


def test_an_account_an_admin_re_enabled_is_not_disabled_again_by_the_next_run(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    _run(clock, WARNING_DAY)
    _sign_in_on(clock, datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO), cast.a_admin)
    _run(clock, DISABLING_DAY)
    assert not _fresh(cast.a_staff).is_active
    assert _fresh(cast.a_admin).is_active

    admin = _sign_in_on(clock, datetime(2025, 4, 11, 10, 0, tzinfo=TOKYO), cast.a_admin)
    response = admin.post(reverse("accounts:user_enable", kwargs={"user_id": cast.a_staff.pk}))
    assert response.status_code == 302

    staff = _fresh(cast.a_staff)
    assert staff.is_active
    assert staff.dormant_warned_at is None
    assert staff.reactivated_at == datetime(2025, 4, 11, 10, 0, tzinfo=TOKYO)
    mailoutbox.clear()
    _run(clock, datetime(2025, 4, 12, 3, 0, tzinfo=TOKYO))
    assert _fresh(cast.a_staff).is_active
    assert cast.a_staff.email not in _recipients(mailoutbox)
    # Re-enabling counts as activity: the next warning comes 76 days after it, on 26 June.
    _run(clock, datetime(2025, 6, 25, 3, 0, tzinfo=TOKYO))
    assert cast.a_staff.email not in _recipients(mailoutbox)
    _run(clock, datetime(2025, 6, 26, 3, 0, tzinfo=TOKYO))
    assert cast.a_staff.email in _recipients(mailoutbox)


def test_platform_admins_are_never_warned_nor_disabled_but_reported(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    _run(clock, WARNING_DAY)
    _run(clock, DISABLING_DAY)
    output = _run(clock, datetime(2026, 1, 10, 3, 0, tzinfo=TOKYO))

    admin = _fresh(cast.platform_admin)
    assert admin.is_active
    assert admin.dormant_warned_at is None
    assert cast.platform_admin.email not in _recipients(mailoutbox)
    assert not _events(EventType.ACCOUNTS_USER_DORMANCY_WARNED, target_id=str(admin.pk))
    assert "基盤管理者 1人が90日以上ログインしていません(自動では無効化しません。" in output


def test_the_platform_admin_is_not_reported_before_the_period_has_passed(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    assert "基盤管理者" not in _run(clock, WARNING_DAY)


def test_disabling_ends_the_accounts_sessions(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    # A login on the day the cast joined leaves a session row behind; the account stays unused.
    person = cast.office_a_cm
    clock.shift(timedelta(seconds=31))
    browser = Client(HTTP_USER_AGENT="Firefox 事業所のパソコン")
    browser.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    response = browser.post(reverse("mfa_authenticate"), {"code": current_totp(cast.totp_secrets[person.email])})
    assert response.status_code == 302
    keys = list(UserSession.objects.filter(user=person).values_list("session_key", flat=True))
    assert len(keys) == 1
    _run(clock, WARNING_DAY)

    _run(clock, DISABLING_DAY)

    assert not _fresh(person).is_active
    assert not UserSession.objects.filter(user=person).exists()
    assert not Session.objects.filter(session_key__in=keys).exists()
    [event] = _events(EventType.ACCOUNTS_USER_DISABLED, target_id=str(person.pk))
    assert event.details["sessions_ended"] == 1
    assert browser.get(reverse("web:home"))["Location"].startswith(reverse("account_login"))


def test_a_dry_run_changes_and_sends_nothing(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]
) -> None:
    output = _run(clock, WARNING_DAY, "--dry-run")

    assert "[試行: 変更・送信はしません]" in output
    assert f"予告予定: #{cast.a_staff.pk} 認定係職員(熊本市) → 2025-04-10 に無効化" in output
    assert f"合計: 無効化予定 0件、予告予定 {len(_covered(cast))}件。" in output
    assert mailoutbox == []
    assert not User.objects.filter(dormant_warned_at__isnull=False).exists()
    assert not _events(EventType.ACCOUNTS_USER_DORMANCY_WARNED)

    _run(clock, WARNING_DAY)
    sent = len(mailoutbox)
    output = _run(clock, DISABLING_DAY, "--dry-run")

    assert f"無効化予定: #{cast.a_staff.pk} 認定係職員(熊本市)" in output
    assert f"合計: 無効化予定 {len(_covered(cast))}件、予告予定 0件。" in output
    assert User.objects.filter(is_active=False).count() == 0
    assert not _events(EventType.ACCOUNTS_USER_DISABLED)
    assert len(mailoutbox) == sent


class RefusingBackend(BaseEmailBackend):
    """The edge this test mocks: a mail server that refuses every message."""

    def send_messages(self, email_messages: Sequence[mail.EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"no such user") for m in email_messages})


def test_a_warning_that_could_not_be_sent_is_not_recorded_and_cannot_lead_to_disabling(
    cast: Cast,
    clock: time_machine.Traveller,
    mailoutbox: list[mail.EmailMessage],
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    with pytest.raises(CommandError, match="予告メールを 13件送れませんでした"):
        _run(clock, WARNING_DAY)

    # The refusal names the address; the log keeps the exception's type only.
    assert "SMTPRecipientsRefused" in caplog.text
    assert "@" not in caplog.text
    assert not User.objects.filter(dormant_warned_at__isnull=False).exists()
    assert not _events(EventType.ACCOUNTS_USER_DORMANCY_WARNED)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _run(clock, DISABLING_DAY)  # the mail works again: warned now, with the full notice
    assert User.objects.filter(is_active=False).count() == 0
    assert all("2025/04/24 にアカウントが無効になります" in m.subject for m in mail.outbox)


def test_the_period_and_the_notice_follow_the_settings(
    cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage], settings: Any
) -> None:
    settings.ACCOUNTS_DORMANT_DAYS = 30
    settings.ACCOUNTS_DORMANT_WARNING_DAYS = 7

    _run(clock, datetime(2025, 2, 1, 3, 0, tzinfo=TOKYO))
    assert mailoutbox == []
    _run(clock, datetime(2025, 2, 2, 3, 0, tzinfo=TOKYO))  # 10 January + 23 days
    assert all("2025/02/09 にアカウントが無効になります" in m.subject for m in mailoutbox)
    assert len(mailoutbox) == len(_covered(cast))


@pytest.mark.parametrize(("days", "warning_days"), [(30, 30), (30, 31), (90, 0)])
def test_a_notice_that_does_not_fit_the_period_is_refused(settings: Any, days: int, warning_days: int) -> None:
    settings.ACCOUNTS_DORMANT_DAYS = days
    settings.ACCOUNTS_DORMANT_WARNING_DAYS = warning_days

    with pytest.raises(ImproperlyConfigured):
        DormancyPolicy.from_settings()


# -- what admins see -----------------------------------------------------------------------------


@pytest.fixture
def mixed(cast: Cast, clock: time_machine.Traveller, mailoutbox: list[mail.EmailMessage]) -> Cast:
    """On 27 March: a_staff and office_a_cm warned, a_operator and office_b_cm disabled by hand,
    everyone else signed in lately; office_unapproved has applied to insurer A (pending)."""
    _sign_in_on(clock, datetime(2025, 3, 20, 10, 0, tzinfo=TOKYO), *_everyone_but(cast, cast.a_staff, cast.office_a_cm))
    user_disable(actor=cast.a_admin, user=cast.a_operator, reason="契約終了")
    user_disable(actor=cast.office_b_admin, user=cast.office_b_cm, reason="退職")
    approval_set_status(
        actor=None, insurer=cast.insurer_a, office=cast.office_unapproved, status=ApprovalStatus.PENDING
    )
    _run(clock, WARNING_DAY)
    assert _recipients(mailoutbox) == {cast.a_staff.email, cast.office_a_cm.email}
    return cast


def test_the_counts_give_each_office_that_applied_and_the_own_staff_by_state(mixed: Cast) -> None:
    cast = mixed

    assert account_counts_for_actor(_fresh(cast.a_admin)) == [
        AccountCounts(None, "", active=2, warned=1, disabled=1),
        AccountCounts(cast.office_a, ApprovalStatus.APPROVED, active=1, warned=1, disabled=0),
        AccountCounts(cast.office_unapproved, ApprovalStatus.PENDING, active=1, warned=0, disabled=0),
    ]
    assert account_counts_for_actor(_fresh(cast.b_admin)) == [
        AccountCounts(None, "", active=4, warned=0, disabled=0),
        AccountCounts(cast.office_b, ApprovalStatus.APPROVED, active=1, warned=0, disabled=1),
    ]


def test_only_insurer_admins_get_counts(mixed: Cast) -> None:
    for someone in (mixed.office_a_admin, mixed.a_staff, mixed.a_auditor, mixed.platform_admin):
        assert account_counts_for_actor(_fresh(someone)) == []


def test_a_sign_in_moves_an_account_from_warned_back_to_active_in_the_counts(
    mixed: Cast, clock: time_machine.Traveller
) -> None:
    _sign_in_on(clock, datetime(2025, 3, 28, 10, 0, tzinfo=TOKYO), mixed.office_a_cm)

    [_, office_a, _] = account_counts_for_actor(_fresh(mixed.a_admin))

    assert (office_a.active, office_a.warned, office_a.disabled) == (2, 0, 0)


def test_the_counts_page_shows_the_insurers_own_offices_only(mixed: Cast, clock: time_machine.Traveller) -> None:
    cast = mixed
    client = _sign_in_on(clock, datetime(2025, 3, 27, 10, 0, tzinfo=TOKYO), cast.b_admin)

    response = client.get(reverse("accounts:account_counts"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "自保険者の職員" in page
    assert cast.office_b.name in page
    for hidden in (cast.office_a, cast.office_unapproved):
        assert hidden.name not in page
        assert hidden.number not in page
    # Counts, never the people of an office.
    assert cast.office_b_cm.email not in page
    assert cast.office_b_admin.display_name not in page


def test_the_counts_page_renders_the_numbers(mixed: Cast, clock: time_machine.Traveller) -> None:
    client = _sign_in_on(clock, datetime(2025, 3, 27, 10, 0, tzinfo=TOKYO), mixed.a_admin)

    response = client.get(reverse("accounts:account_counts"))

    page = response.content.decode()
    own, office_a, pending = response.context["rows"]
    assert (own.total, office_a.total, pending.total) == (4, 2, 1)
    assert f"{mixed.office_a.name}({mixed.office_a.number})" in page
    assert "承認済み" in page
    assert "審査中" in page
    assert '<span class="badge badge--warn">1</span>' in page


def test_the_staff_list_links_the_counts_for_insurer_admins_and_marks_warned_people(
    mixed: Cast, clock: time_machine.Traveller
) -> None:
    insurer_admin = _sign_in_on(clock, datetime(2025, 3, 27, 10, 0, tzinfo=TOKYO), mixed.a_admin)
    page = insurer_admin.get(reverse("accounts:user_list")).content.decode()

    assert reverse("accounts:account_counts") in page
    [warned] = [u for u in insurer_admin.get(reverse("accounts:user_list")).context["users"] if u.dormancy_warned]
    assert warned == mixed.a_staff
    assert page.count("休眠(無効化を予告済み)") == 1

    office_admin = _sign_in_on(clock, datetime(2025, 3, 27, 10, 0, tzinfo=TOKYO), mixed.office_a_admin)
    page = office_admin.get(reverse("accounts:user_list")).content.decode()
    assert reverse("accounts:account_counts") not in page
    assert page.count("休眠(無効化を予告済み)") == 1  # office_a_cm
    assert office_admin.get(reverse("accounts:account_counts")).status_code == 403
