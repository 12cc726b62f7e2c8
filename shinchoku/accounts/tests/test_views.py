"""Account pages: one's own sessions, and an insurer or office admin managing their staff (T3, T4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.models import User
from shinchoku.accounts.services import user_disable
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    # A TOTP code works once per 30 s step; a second login of the same person moves the clock on.
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _log_in(cast: Cast, user: User, clock: time_machine.Traveller, browser: str) -> Client:
    """The real two-step login from a browser of its own, as allauth records it in a UserSession."""
    clock.shift(timedelta(seconds=31))
    client = Client(HTTP_USER_AGENT=browser)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(cast.totp_secrets[user.email])})
    assert response.status_code == 302, "the login did not complete"
    return client


def _is_signed_in(client: Client) -> bool:
    return client.get(reverse("web:home")).status_code == 200


def _events(event_type: EventType, **filters: object) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type, **filters).order_by("occurred_at", "id"))


def _page(response: TestResponse) -> str:
    return response.content.decode()


# -- one's own sessions ---------------------------------------------------------------------------


def test_the_security_page_lists_each_of_ones_sessions(cast: Cast, clock: time_machine.Traveller) -> None:
    at_work = _log_in(cast, cast.office_a_cm, clock, "Firefox 事業所のパソコン")
    _log_in(cast, cast.office_a_cm, clock, "Safari 自宅のタブレット")
    _log_in(cast, cast.office_b_cm, clock, "Edge よその事業所")

    response = at_work.get(reverse("accounts:security"))

    assert response.status_code == 200
    page = _page(response)
    assert "Firefox 事業所のパソコン" in page
    assert "Safari 自宅のタブレット" in page
    assert "Edge よその事業所" not in page
    assert page.count("この端末") == 1


def test_ending_other_sessions_signs_out_the_other_browsers_and_is_audited(
    cast: Cast, clock: time_machine.Traveller
) -> None:
    user = cast.office_a_cm
    here = _log_in(cast, user, clock, "Firefox 事業所のパソコン")
    elsewhere = _log_in(cast, user, clock, "Safari 自宅のタブレット")
    forgotten = _log_in(cast, user, clock, "Chrome 研修会場")

    response = here.post(reverse("accounts:sessions_end_others"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")
    assert _is_signed_in(here)
    assert not _is_signed_in(elsewhere)
    assert not _is_signed_in(forgotten)
    assert UserSession.objects.filter(user=user).count() == 1
    [event] = _events(EventType.AUTH_SESSION_ENDED, actor=user)
    assert event.details == {"sessions_ended": 2, "scope": "others"}


def test_ending_other_sessions_leaves_other_peoples_sessions_alone(cast: Cast, clock: time_machine.Traveller) -> None:
    mine = _log_in(cast, cast.office_a_cm, clock, "Firefox")
    colleague = _log_in(cast, cast.office_a_admin, clock, "Firefox")

    mine.post(reverse("accounts:sessions_end_others"))

    assert _is_signed_in(colleague)


def test_ending_other_sessions_needs_a_post(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_cm)
    assert client.get(reverse("accounts:sessions_end_others")).status_code == 405


# -- an admin managing staff --------------------------------------------------------------------


def test_it_hides_other_insurers_staff(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    response = client.get(reverse("accounts:user_list"))

    assert response.status_code == 200
    listed = {user.email for user in response.context["users"]}
    assert listed == {cast.a_admin.email, cast.a_staff.email, cast.a_auditor.email, cast.a_operator.email}
    page = _page(response)
    for outsider in (cast.b_admin, cast.b_staff, cast.office_a_cm, cast.platform_admin):
        assert outsider.email not in page


def test_an_office_admin_sees_only_their_offices_staff(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)

    response = client.get(reverse("accounts:user_list"))

    assert {user.email for user in response.context["users"]} == {cast.office_a_admin.email, cast.office_a_cm.email}


def test_another_insurers_staff_member_is_not_found_and_cannot_be_disabled(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.b_admin)
    url = reverse("accounts:user_detail", kwargs={"user_id": cast.a_staff.pk})

    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "退職"}).status_code == 404

    cast.a_staff.refresh_from_db()
    assert cast.a_staff.is_active
    assert not _events(EventType.ACCOUNTS_USER_DISABLED)


def test_disabling_a_user_ends_all_their_sessions_at_once_and_records_why(
    cast: Cast, clock: time_machine.Traveller
) -> None:
    leaver = cast.a_staff
    at_desk = _log_in(cast, leaver, clock, "Edge 本庁舎")
    on_phone = _log_in(cast, leaver, clock, "Safari スマートフォン")
    keys = list(UserSession.objects.filter(user=leaver).values_list("session_key", flat=True))
    assert len(keys) == 2
    admin = _log_in(cast, cast.a_admin, clock, "Edge 本庁舎")

    response = admin.post(reverse("accounts:user_detail", kwargs={"user_id": leaver.pk}), {"reason": "退職(3月31日付)"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", kwargs={"user_id": leaver.pk})
    # Ended on the server, not merely refused at the next look-up of the account.
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=leaver).exists()
    first = on_phone.get(reverse("web:home"))
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("account_login"))
    assert not _is_signed_in(at_desk)
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert leaver.disabled_reason == "退職(3月31日付)"
    [event] = _events(EventType.ACCOUNTS_USER_DISABLED)
    assert (event.actor, event.target_id, event.insurer) == (cast.a_admin, str(leaver.pk), cast.insurer_a)
    assert event.details == {"reason": "退職(3月31日付)", "sessions_ended": 2}
    assert _is_signed_in(admin)


def test_disabling_needs_a_reason(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    response = client.post(reverse("accounts:user_detail", kwargs={"user_id": cast.a_staff.pk}), {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    cast.a_staff.refresh_from_db()
    assert cast.a_staff.is_active
    assert not _events(EventType.ACCOUNTS_USER_DISABLED)


def test_an_admin_cannot_disable_their_own_account(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_admin)

    response = client.post(
        reverse("accounts:user_detail", kwargs={"user_id": cast.a_admin.pk}), {"reason": "うっかり"}, follow=True
    )

    assert response.status_code == 200
    assert "自分自身のアカウントは無効化できません。" in _page(response)
    cast.a_admin.refresh_from_db()
    assert cast.a_admin.is_active
    assert not _events(EventType.ACCOUNTS_USER_DISABLED)
    assert _is_signed_in(client)


def test_enabling_a_disabled_user_restores_the_account_and_is_audited(cast: Cast, sign_in: SignIn) -> None:
    user_disable(actor=cast.a_admin, user=cast.a_staff, reason="長期休職")
    client = sign_in(cast.a_admin)

    response = client.post(reverse("accounts:user_enable", kwargs={"user_id": cast.a_staff.pk}))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", kwargs={"user_id": cast.a_staff.pk})
    cast.a_staff.refresh_from_db()
    assert cast.a_staff.is_active
    assert (cast.a_staff.disabled_at, cast.a_staff.disabled_reason) == (None, "")
    [event] = _events(EventType.ACCOUNTS_USER_ENABLED)
    assert (event.actor, event.target_id) == (cast.a_admin, str(cast.a_staff.pk))
    returning = Client()
    returning.force_login(cast.a_staff)
    assert _is_signed_in(returning)


def test_another_insurers_admin_cannot_enable_a_user(cast: Cast, sign_in: SignIn) -> None:
    user_disable(actor=cast.a_admin, user=cast.a_staff, reason="退職")
    client = sign_in(cast.b_admin)

    response = client.post(reverse("accounts:user_enable", kwargs={"user_id": cast.a_staff.pk}))

    assert response.status_code == 404
    cast.a_staff.refresh_from_db()
    assert not cast.a_staff.is_active


def test_staff_without_the_permission_cannot_open_the_staff_pages(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.a_staff)

    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:user_detail", kwargs={"user_id": cast.a_auditor.pk})).status_code == 403
