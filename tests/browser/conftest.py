"""Playwright in Debian's chromium: the browser, a Japanese context, screenshots and a test clock."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect
from pytest_django import DjangoDbBlocker
from pytest_django.live_server_helper import LiveServer

from shinchoku.accounts.models import User
from shinchoku.audit import triggers
from shinchoku.ops.demo import current_totp
from tests.personas import PASSWORD, Cast

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
TOTP_STEP = 30
# Below this many seconds left in a TOTP step, a typed code could expire before the server checks it.
TOTP_MARGIN = 5.0

Shoot = Callable[[Page, str], Path]
TotpCode = Callable[[str], str]
LogIn = Callable[[Page, User], None]


@pytest.fixture(scope="package", autouse=True)
def _audit_triggers_back_afterwards(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        triggers.remove(connection)
        triggers.install(connection)


@pytest.fixture(autouse=True)
def _audit_triggers_off_for_flush(transactional_db: None) -> Iterator[None]:
    """The audit table is append-only, so the flush that ends a transactional test would fail.

    The triggers stay in force while the test runs; they go just before pytest-django empties the
    tables, and the package fixture above puts them back once the last browser test is done.
    """
    triggers.remove(connection)
    triggers.install(connection)
    yield
    triggers.remove(connection)


@pytest.fixture(scope="session")
def base_url() -> str | None:
    # pytest-playwright 0.10's fallback `base_url` fixture is an instance method, which pytest 9
    # deprecates with a warning (an error here); every test uses live_server.url instead.
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Debian's chromium: Playwright cannot download its own build here (see ecosystem.md).
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
    }


def guard(page: Page) -> list[str]:
    """Collects script errors, CSP violations and missing files (a 404 for a script, style or icon)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and re.search(r"Content.Security.Policy|Refused to|Failed to load", message.text):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems


@pytest.fixture
def page(page: Page) -> Iterator[Page]:
    """A desktop page (1280×900, ja-JP) that fails the test on anything `guard` collects."""
    page.set_viewport_size({"width": 1280, "height": 900})
    problems = guard(page)
    yield page
    assert problems == []


@pytest.fixture
def tablet_page(new_context: Callable[..., BrowserContext]) -> Iterator[Page]:
    """A portrait tablet (820×1180, touch), as care managers carry on home visits."""
    page = new_context(viewport={"width": 820, "height": 1180}, has_touch=True).new_page()
    problems = guard(page)
    yield page
    assert problems == []


@pytest.fixture
def shoot() -> Shoot:
    """Saves a full-page screenshot as test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


@pytest.fixture
def totp_code() -> Iterator[TotpCode]:
    """The authenticator code for a secret, never one about to expire.

    The service accepts a code for its own 30-second step only. Rather than sleep until a fresh
    step, the test clock (shared with the live server's thread) jumps forward to the next one.
    """
    with time_machine.travel(time.time(), tick=True) as traveller:

        def _code(secret: str) -> str:
            left = TOTP_STEP - time.time() % TOTP_STEP
            if left < TOTP_MARGIN:
                traveller.shift(left + 0.1)
            return current_totp(secret)

        yield _code


@pytest.fixture
def log_in(live_server: LiveServer, cast: Cast, totp_code: TotpCode) -> LogIn:
    """Signs a member of the cast in on a page, with the password and a fresh TOTP code, up to
    the home page."""

    def _log_in(page: Page, user: User) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("メールアドレス").fill(user.email)
        page.get_by_label("パスワード", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="ログイン", exact=True).click()
        page.get_by_label("6桁の確認コード").fill(totp_code(cast.totp_secrets[user.email]))
        page.get_by_role("button", name="確認してログイン").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")

    return _log_in
