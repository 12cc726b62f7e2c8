"""Password rules (NIST SP 800-63B-4, ASVS 5.0 V6.2): 13–128 characters of anything, no
composition rules, common passwords and words an attacker would try for this person refused,
each refusal explained in Japanese (DESIGN T4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.offices.models import OfficeKind
from shinchoku.offices.services import office_create
from tests.personas import PASSWORD, Cast, make_user

pytestmark = pytest.mark.django_db


def _refusals(password: str, user: User | None = None) -> dict[str, str]:
    """The validators' error codes mapped to their messages; empty when the password is accepted."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {str(error.code): " ".join(error.messages) for error in exc.error_list}
    return {}


def test_twelve_characters_are_too_short_and_the_reason_is_given(cast: Cast) -> None:
    refusals = _refusals("purple cat o", cast.office_a_cm)
    assert set(refusals) == {"password_too_short"}
    assert "13文字以上" in refusals["password_too_short"]
    assert "いま12文字" in refusals["password_too_short"]


def test_thirteen_characters_are_enough(cast: Cast) -> None:
    assert _refusals("purple cat ok", cast.office_a_cm) == {}


def test_128_characters_are_accepted_and_129_are_not(cast: Cast) -> None:
    phrase = ("river stone cloud lantern " * 6)[:128]
    assert len(phrase) == 128
    assert _refusals(phrase, cast.office_a_cm) == {}
    refusals = _refusals(phrase + "x", cast.office_a_cm)
    assert set(refusals) == {"password_too_long"}
    assert "128文字以内" in refusals["password_too_long"]


def test_a_long_passphrase_with_spaces_and_japanese_is_accepted(cast: Cast) -> None:
    phrase = "朝の散歩で見た 青い鳥と白い雲 とても きれいでした and the river was calm today"
    phrase = phrase.ljust(64, "。")
    assert len(phrase) == 64
    assert _refusals(phrase, cast.office_a_cm) == {}


def test_no_composition_rules_apply(cast: Cast) -> None:
    # All lower case, no digit, no symbol: still a good password.
    assert _refusals("orange lantern under a quiet bridge", cast.office_a_cm) == {}
    assert _refusals("ORANGELANTERNBRIDGE", cast.office_a_cm) == {}


@pytest.mark.parametrize(
    "password",
    [
        "ilovemyfamily",
        "I Love My Family",
        "ｉｌｏｖｅｍｙｆａｍｉｌｙ",  # full-width letters fold to the listed entry
        "qwerty123456789",
        "1q2w3e4r5t6y7u",
        "password123456",
    ],
)
def test_common_passwords_are_refused_even_with_spaces_or_full_width_letters(cast: Cast, password: str) -> None:
    refusals = _refusals(password, cast.office_a_cm)
    assert "password_too_common" in refusals
    assert "よく使われているパスワード" in refusals["password_too_common"]


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaaaa", "abababababababab", "1212 1212 1212 12"])
def test_one_or_two_characters_repeated_are_refused(cast: Cast, password: str) -> None:
    assert "password_too_common" in _refusals(password, cast.office_a_cm)


def _context_refusal(password: str, user: User) -> str:
    refusals = _refusals(password, user)
    assert set(refusals) == {"password_has_context_word"}, refusals
    return refusals["password_has_context_word"]


def test_the_service_name_is_refused_with_the_reason(cast: Cast) -> None:
    message = _context_refusal("every morning I open Shinchoku first", cast.office_a_cm)
    assert message == ("パスワードにサービス名・所属名・ログインIDなど推測されやすい語(shinchoku)が含まれています。")
    _context_refusal("every morning I open ｓｈｉｎ ｃｈｏｋｕ first", cast.office_a_cm)


def test_the_insurer_name_of_the_user_is_refused(cast: Cast) -> None:
    password = "わたしは熊本市のまちがすきです"
    assert "(熊本市)" in _context_refusal(password, cast.a_staff)
    # The same sentence is fine for someone of another insurer: the rule is about this person.
    assert _refusals(password, cast.b_staff) == {}


def test_the_office_name_of_the_user_is_refused(cast: Cast) -> None:
    office = office_create(actor=None, number="4370100044", name="ひまわり相談室", kind=OfficeKind.HOME_CARE_SUPPORT)
    user = make_user("himawari-cm@test.example", Role.CARE_MANAGER, office=office, second_factor=False)
    password = "毎朝ひまわり相談室へ歩いて向かいます"
    assert "(ひまわり相談室)" in _context_refusal(password, user)
    assert _refusals(password, cast.office_a_cm) == {}


def test_the_local_part_of_the_users_email_is_refused(cast: Cast) -> None:
    user = cast.office_a_cm
    assert "(office-a-cm)" in _context_refusal("hello Office-A-CM my old friend", user)
    assert _refusals("hello Office-A-CM my old friend", cast.office_b_cm) == {}


def test_the_change_password_page_shows_the_reason(sign_in: Callable[[User], Client], cast: Cast) -> None:
    user = cast.a_staff
    client = sign_in(user)
    new_password = "わたしは熊本市のまちがすきです"

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 200
    assert "推測されやすい語(熊本市)が含まれています" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_change_password_page_accepts_a_good_passphrase(sign_in: Callable[[User], Client], cast: Cast) -> None:
    user = cast.a_staff
    client = sign_in(user)
    new_password = "orange lantern under a quiet bridge"

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
    assert AuditEvent.objects.filter(event_type=EventType.AUTH_PASSWORD_CHANGED, actor=user).exists()
