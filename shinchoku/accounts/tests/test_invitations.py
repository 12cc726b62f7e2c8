"""Invitations: a single-use, expiring link through which a person sets their own password
(nobody chooses another's, DESIGN T4), then enrols a second factor."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from allauth.usersessions.models import UserSession
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shinchoku.accounts.invitations import invitation_issue, invitation_revoke
from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_create, user_disable, user_enable
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.ops.demo import current_totp
from tests.personas import Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
NEW_PASSWORD = "a quiet lantern beside the harbour wall"
BASE_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def _invitee(cast: Cast, email: str = "new-cm@test.example") -> User:
    return user_create(
        actor=cast.office_a_admin,
        email=email,
        display_name="新井 ケア子",
        role=Role.CARE_MANAGER,
        office=cast.office_a,
        password=None,
    )


def _issue(cast: Cast, user: User, capture: CaptureOnCommit) -> Invitation:
    with capture(execute=True):
        return invitation_issue(actor=cast.office_a_admin, user=user)


def _url(invitation: Invitation) -> str:
    assert invitation.token is not None
    return reverse("accounts:invitation_accept", kwargs={"token": invitation.token})


def _accept(client: Client, invitation: Invitation, password: str = NEW_PASSWORD) -> TestResponse:
    return client.post(_url(invitation), {"password1": password, "password2": password})


def _page(response: TestResponse) -> str:
    return response.content.decode()


def _without_csrf(response: TestResponse) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", _page(response))


# -- issuing ---------------------------------------------------------------------------------


def test_issuing_stores_only_a_hash_of_the_token_and_audits_without_it(
    cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit, settings: Any
) -> None:
    settings.ACCOUNTS_INVITATION_DAYS = 7
    user = _invitee(cast)

    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    assert invitation.token is not None and len(invitation.token) >= 43
    stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.token_hash == hashlib.sha256(invitation.token.encode()).hexdigest()
    assert invitation.token not in json.dumps(list(Invitation.objects.values()), default=str)
    assert stored.created_by == cast.office_a_admin
    assert stored.expires_at - stored.created_at == pytest.approx(timedelta(days=7), abs=timedelta(seconds=5))
    [event] = AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_ISSUED)
    assert (event.actor, event.office, event.target_id) == (cast.office_a_admin, cast.office_a, str(user.pk))
    assert event.details["invitation"] == invitation.pk
    every_event = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert invitation.token not in every_event
    assert stored.token_hash not in every_event


def test_the_invitation_email_names_who_invited_to_what_the_link_and_its_expiry(
    cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit, settings: Any
) -> None:
    settings.BASE_URL = "https://shinchoku.example.lg.jp"
    user = _invitee(cast)

    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject.startswith("[介護認定 進捗照会] ")
    assert "招待" in message.subject
    body = str(message.body)
    assert "新井 ケア子 様" in body
    assert f"{cast.office_a.name}の{cast.office_a_admin.display_name}さん" in body
    assert "ケアマネジャー" in body
    assert f"https://shinchoku.example.lg.jp{_url(invitation)}" in body
    assert timezone.localtime(invitation.expires_at).strftime("%Y/%m/%d %H:%M") in body
    assert "メールや電話でパスワードや確認コードをお尋ねすることはありません" in body


def test_no_email_goes_out_when_the_transaction_that_invited_rolls_back(
    cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)

    def invite_then_fail() -> None:
        with transaction.atomic():
            invitation_issue(actor=cast.office_a_admin, user=user)
            raise RuntimeError("the caller's next step failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        invite_then_fail()

    assert mail.outbox == []
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_ISSUED).exists()


def test_a_new_invitation_revokes_the_earlier_link(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    first = _issue(cast, user, django_capture_on_commit_callbacks)

    second = _issue(cast, user, django_capture_on_commit_callbacks)

    assert client.get(_url(first)).status_code == 410
    assert client.get(_url(second)).status_code == 200
    [revoked] = AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_REVOKED)
    assert revoked.details == {"invitation": first.pk, "reason": "reissued"}


@pytest.mark.parametrize("state", ["disabled", "password_set"])
def test_only_an_active_account_without_a_password_can_be_invited(cast: Cast, state: str) -> None:
    user = _invitee(cast)
    if state == "disabled":
        user_disable(actor=cast.office_a_admin, user=user, reason="誤登録")
    else:
        user = cast.office_a_cm  # has set a password: resets it themselves

    with pytest.raises(ValidationError):
        invitation_issue(actor=cast.office_a_admin, user=user)

    assert not Invitation.objects.filter(user=user).exists()


# -- the page the link opens -------------------------------------------------------------------


def test_the_page_shows_whose_account_it_is_and_leaks_the_token_nowhere(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    response = client.get(_url(invitation))

    assert response.status_code == 200
    page = _page(response)
    for shown in ("新井 ケア子", user.email, cast.office_a.name, "ケアマネジャー"):
        assert shown in page
    assert 'autocomplete="new-password"' in page
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["Cache-Control"] == "no-store"
    # Opening the page changes nothing: the link still works.
    assert Invitation.objects.get(pk=invitation.pk).used_at is None


def test_setting_a_password_uses_the_link_signs_in_and_leads_to_enrolment(
    client: Client,
    cast: Cast,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    response = _accept(client, invitation)

    assert response.status_code == 302
    assert response["Location"] == reverse("web:enrol")
    assert response["Referrer-Policy"] == "strict-origin"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    stored = Invitation.objects.get(pk=invitation.pk)
    assert stored.used_at is not None
    [accepted] = AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_ACCEPTED)
    assert (accepted.actor, accepted.target_id, accepted.office) == (user, str(user.pk), cast.office_a)
    assert AuditEvent.objects.filter(event_type=EventType.AUTH_LOGIN_SUCCEEDED, actor=user).exists()
    # Signed in on the server, as any login: disabling the account would end this session.
    assert UserSession.objects.filter(user=user).count() == 1
    # Nothing but enrolment until a second factor exists.
    assert client.get(reverse("web:home"))["Location"] == reverse("web:enrol")
    assert client.get(reverse("web:enrol")).status_code == 200


def test_the_invitee_enrols_an_authenticator_app_without_typing_the_password_again(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    _accept(client, _issue(cast, user, django_capture_on_commit_callbacks))

    form = client.get(reverse("mfa_activate_totp"))
    assert form.status_code == 200, form.get("Location")
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})

    assert done.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("web:home")).status_code == 200


def test_passwords_that_differ_are_refused_and_nothing_is_written(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    response = client.post(_url(invitation), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"})

    assert response.status_code == 200
    assert "2つのパスワードが一致しません" in _page(response)
    assert 'aria-invalid="true"' in _page(response)
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert Invitation.objects.get(pk=invitation.pk).used_at is None
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("short pass", "パスワードが短すぎます"),
        ("new-cm@test.example is mine", "推測されやすい語"),
        ("みどり居宅介護支援事業所のパスワード", "推測されやすい語"),
    ],
)
def test_the_password_validators_apply_with_the_accounts_own_context(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit, password: str, expected: str
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    response = _accept(client, invitation, password)

    assert response.status_code == 200
    assert expected in _page(response)
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert Invitation.objects.get(pk=invitation.pk).used_at is None


def test_the_form_passes_the_csrf_check_a_browser_makes_under_the_pages_referrer_policy(
    cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit, settings: Any
) -> None:
    # Under strict-origin a browser sends its origin (never the path) with the form; under
    # no-referrer it would send "Origin: null", which Django's CSRF check refuses.
    settings.ALLOWED_HOSTS = ["testserver"]
    invitation = _issue(cast, _invitee(cast), django_capture_on_commit_callbacks)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(_url(invitation))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _page(page))
    assert token is not None
    form = {"csrfmiddlewaretoken": token.group(1), "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    refused = browser.post(_url(invitation), form, HTTP_ORIGIN="null")
    accepted = browser.post(_url(invitation), form, HTTP_ORIGIN="http://testserver")

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("web:enrol")


def test_the_form_ignores_any_other_field_it_is_sent(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    client.post(
        _url(invitation),
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "email": "attacker@test.example",
            "role": "office_admin",
        },
    )

    user.refresh_from_db()
    assert (user.email, user.role) == ("new-cm@test.example", Role.CARE_MANAGER)


# -- links that no longer work -----------------------------------------------------------------


def _make_unusable(case: str, cast: Cast, invitation: Invitation, clock: time_machine.Traveller) -> str:
    """Puts the invitation in the named state; returns the token to open."""
    assert invitation.token is not None
    if case == "unknown":
        return "x" * len(invitation.token)
    if case == "expired":
        clock.shift(timedelta(days=7, seconds=1))
    elif case == "used":
        Client().post(_url(invitation), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    elif case == "revoked":
        invitation_revoke(actor=cast.office_a_admin, user=invitation.user)
    elif case == "disabled":
        User.objects.filter(pk=invitation.user.pk).update(is_active=False)  # as a leaver would be
    return invitation.token


UNUSABLE = ["unknown", "expired", "used", "revoked", "disabled"]


def test_every_unusable_link_gets_the_same_page_and_the_same_work(
    cast: Cast,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    settings: Any,
) -> None:
    settings.ACCOUNTS_INVITATION_DAYS = 7
    pages: dict[str, str] = {}
    queries: dict[str, int] = {}
    for n, case in enumerate(UNUSABLE):
        user = _invitee(cast, f"invitee-{n}@test.example")
        token = _make_unusable(case, cast, _issue(cast, user, django_capture_on_commit_callbacks), clock)
        client = Client()
        url = reverse("accounts:invitation_accept", kwargs={"token": token})
        with CaptureQueriesContext(connection) as counted:
            response = client.get(url)
        assert response.status_code == 410, case
        assert response["Referrer-Policy"] == "strict-origin"
        assert response["Cache-Control"] == "no-store"
        # The page names its own address (the language switch returns to it); all else is equal.
        pages[case] = _without_csrf(response).replace(url, "<url>")
        queries[case] = len(counted)
        # Nor can it be used by sending the form anyway.
        assert client.post(url, {"password1": NEW_PASSWORD + "!", "password2": NEW_PASSWORD + "!"}).status_code == 410
        user.refresh_from_db()
        assert not user.check_password(NEW_PASSWORD + "!")
    assert len(set(pages.values())) == 1, "the pages tell the cases apart"
    assert len(set(queries.values())) == 1, queries
    assert "招待をもう一度送るよう依頼してください" in pages["unknown"]


def test_a_link_is_good_until_its_expiry_and_not_after(
    client: Client,
    cast: Cast,
    clock: time_machine.Traveller,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    settings: Any,
) -> None:
    settings.ACCOUNTS_INVITATION_DAYS = 3
    invitation = _issue(cast, _invitee(cast), django_capture_on_commit_callbacks)

    clock.shift(timedelta(days=3) - timedelta(minutes=1))
    assert client.get(_url(invitation)).status_code == 200
    clock.shift(timedelta(minutes=2))
    assert client.get(_url(invitation)).status_code == 410
    assert _accept(client, invitation).status_code == 410


def test_disabling_the_account_revokes_its_link_and_enabling_does_not_bring_it_back(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)

    user_disable(actor=cast.office_a_admin, user=user, reason="別人のアドレスに送った")
    user_enable(actor=cast.office_a_admin, user=user)

    assert client.get(_url(invitation)).status_code == 410
    [revoked] = AuditEvent.objects.filter(event_type=EventType.ACCOUNTS_INVITATION_REVOKED)
    assert revoked.details == {"invitation": invitation.pk, "reason": "disabled"}


def test_someone_signed_in_on_the_browser_is_asked_to_log_out_first_and_nothing_is_used(
    cast: Cast, sign_in: Callable[[User], Client], django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    invitation = _issue(cast, user, django_capture_on_commit_callbacks)
    client = sign_in(cast.office_a_admin)

    shown = client.get(_url(invitation))
    sent = _accept(client, invitation)

    assert shown.status_code == sent.status_code == 200
    assert "いったんログアウトしてください" in _page(shown)
    assert shown["Referrer-Policy"] == "strict-origin"
    assert Invitation.objects.get(pk=invitation.pk).used_at is None
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert client.session["_auth_user_id"] == str(cast.office_a_admin.pk)


def test_after_logging_out_there_the_link_opens_again(
    cast: Cast, sign_in: Callable[[User], Client], django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    invitation = _issue(cast, _invitee(cast), django_capture_on_commit_callbacks)
    client = sign_in(cast.office_a_admin)

    out = client.post(reverse("account_logout"), {"next": _url(invitation)})

    assert out["Location"] == _url(invitation)
    assert client.get(_url(invitation)).status_code == 200


# -- password reset of an invited account -------------------------------------------------------


def test_a_password_reset_for_an_account_not_yet_set_up_sends_no_link(
    client: Client, cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    user = _invitee(cast)
    _issue(cast, user, django_capture_on_commit_callbacks)
    invitation_revoke(actor=cast.office_a_admin, user=user)
    mail.outbox.clear()

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [user.email]
    body = str(message.body)
    assert "招待をもう一度送るよう依頼してください" in body
    assert "/accounts/password/reset/key/" not in body
    assert "http" not in body


# -- the setting -------------------------------------------------------------------------------


def _invitation_days(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from shinchoku import settings; print(settings.ACCOUNTS_INVITATION_DAYS)"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHINCHOKU_VAR_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_invitation_period_is_read_from_the_environment_within_bounds(tmp_path: Path) -> None:
    assert _invitation_days({}, tmp_path).stdout.strip() == "7"
    assert _invitation_days({"SHINCHOKU_INVITATION_DAYS": "3"}, tmp_path).stdout.strip() == "3"
    for wrong in ("0", "31", "seven"):
        refused = _invitation_days({"SHINCHOKU_INVITATION_DAYS": wrong}, tmp_path)
        assert refused.returncode != 0
        assert "SHINCHOKU_INVITATION_DAYS" in refused.stderr
