"""Japanese by default, English on request: the catalog is complete and the pages switch.

Our msgids are the Japanese text itself, so a string missing from the English catalog shows in
Japanese; the first test keeps the catalog complete, the others check that the switch works.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from tests.personas import Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

EN_PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
MAIL_TOKEN = re.compile(r"\{[^{}\s]+\}")


def _unquote(line: str) -> str:
    body = line.strip()
    assert body.startswith('"') and body.endswith('"'), line
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body[1:-1])


def _po_entries(text: str) -> list[tuple[list[str], dict[str, str]]]:
    """(comment lines, fields) per entry; continuation lines are joined into their field."""
    entries = []
    for block in text.strip().split("\n\n"):
        comments: list[str] = []
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith("#"):
                comments.append(line)
            elif line.startswith('"'):
                fields[key] += _unquote(line)
            else:
                key, _, value = line.partition(" ")
                fields[key] = _unquote(value)
        entries.append((comments, fields))
    return entries


def _text(response: TestResponse) -> str:
    assert response.status_code == 200
    return response.content.decode()


def _switch_to_english(client: Client) -> None:
    response = client.post(reverse("web:setlang"), {"language": "en", "next": "/"})
    assert response.status_code == 302


def test_the_english_catalog_translates_every_entry() -> None:
    entries = _po_entries(EN_PO.read_text(encoding="utf-8"))
    _, header = entries[0]
    assert header["msgid"] == ""
    assert "Language: en\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]
    assert len(entries) > 300  # every string of the templates and the Python code
    problems = []
    for comments, fields in entries:
        name = fields["msgid"] or "(header)"
        if any(c.startswith("#,") and "fuzzy" in c for c in comments):
            problems.append(f"fuzzy: {name}")
        if any(c.startswith("#~") for c in comments):
            problems.append(f"obsolete: {name}")
        if not fields["msgid"]:
            continue
        translations = [v for k, v in fields.items() if k.startswith("msgstr")]
        if not translations or not all(t.strip() for t in translations):
            problems.append(f"untranslated: {name}")
        for translation in translations:
            # A placeholder of the e-mail wordings ({事業所名}) is a literal token insurers type
            # into their Japanese texts, so the English help names it as it is.
            if JAPANESE.search(MAIL_TOKEN.sub("", translation)):
                problems.append(f"Japanese left in the English text: {name}")
            if set(PLACEHOLDER.findall(translation)) != set(PLACEHOLDER.findall(fields["msgid"])):
                problems.append(f"placeholders differ: {name}")
    assert problems == []


def test_the_compiled_catalog_is_current() -> None:
    mo = EN_PO.with_suffix(".mo")
    assert mo.exists(), "run `make messages`"
    assert mo.stat().st_mtime >= EN_PO.stat().st_mtime, "django.po changed since it was compiled: `make messages`"


def test_without_a_choice_the_pages_are_japanese(client: Client) -> None:
    page = _text(client.get(reverse("account_login")))
    assert '<html lang="ja">' in page
    assert "<h1>ログイン</h1>" in page
    assert "パスワードを忘れた場合" in page
    assert "Forgot your password?" not in page


def test_accept_language_english_gives_english(client: Client) -> None:
    page = _text(client.get(reverse("account_login"), headers={"accept-language": "en"}))
    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page
    assert "Forgot your password?" in page
    assert "パスワードを忘れた場合" not in page


def test_the_language_switch_turns_the_login_page_english(client: Client) -> None:
    _switch_to_english(client)
    page = _text(client.get(reverse("account_login")))
    assert '<html lang="en">' in page
    assert "<title>Sign in | Long-Term Care Certification Progress Service</title>" in page
    assert "Email address" in page
    assert "If you cannot sign in" in page
    assert "All use of this service is recorded." in page
    for japanese in (
        "ログイン",
        "メールアドレス",
        "パスワードを忘れた場合",
        "このサービスの利用はすべて記録されています",
    ):
        assert japanese not in page
    # The switch itself stays bilingual, so that a reader of either language finds it.
    assert "表示言語 / Language" in page


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("office_a_cm", ["You are signed in with the role “Care manager” at ", "Account and security"]),
        ("a_admin", ["Insurer administrator", "Care offices", "Staff management", "Audit trail"]),
    ],
)
def test_the_home_page_in_english(
    cast: Cast, sign_in: Callable[[User], Client], persona: str, expected: list[str]
) -> None:
    client = sign_in(getattr(cast, persona))
    _switch_to_english(client)
    page = _text(client.get(reverse("web:home")))
    assert '<html lang="en">' in page
    assert "Welcome, " in page
    assert "Sign out" in page
    for text in expected:
        assert text in page
    for japanese in (
        "ようこそ",
        "としてログインしています",
        "ログアウト",
        "アカウントとセキュリティ",
        "メインメニュー",
    ):
        assert japanese not in page


def test_the_security_page_in_english(cast: Cast, sign_in: Callable[[User], Client]) -> None:
    client = sign_in(cast.office_a_cm)
    _switch_to_english(client)
    page = _text(client.get(reverse("accounts:security")))
    assert '<html lang="en">' in page
    for text in ("<h1>Account and security</h1>", "Login ID", "Signed-in devices", "Sign out of all other devices"):
        assert text in page
    for japanese in ("アカウントとセキュリティ", "ログイン中の端末", "登録済み", "パスワードを変更する"):
        assert japanese not in page


def test_messages_and_error_pages_follow_the_language(cast: Cast, sign_in: Callable[[User], Client]) -> None:
    client = sign_in(cast.office_a_cm)
    _switch_to_english(client)
    response = client.post(reverse("accounts:sessions_end_others"), follow=True)
    assert "Signed out 0 sessions on other devices." in _text(response)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
    assert "ページが見つかりません" not in missing.content.decode()
