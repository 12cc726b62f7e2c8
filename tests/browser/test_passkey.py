"""Passkeys: set one up as the second factor, then sign in with it alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from shinchoku.accounts.roles import Role
from tests.browser.conftest import Shoot
from tests.personas import PASSWORD, Cast, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _platform_authenticator(page: Page) -> None:
    """A virtual fingerprint reader that always says yes (Chrome DevTools' WebAuthn domain)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_an_account_sets_up_a_passkey_and_then_signs_in_with_it(
    page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot
) -> None:
    _platform_authenticator(page)
    user = make_user("passkey-cm@test.example", Role.CARE_MANAGER, office=cast.office_a, second_factor=False)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("link", name="パスキーを登録する").click()
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="確認して続ける").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("パスキーの登録")
    page.get_by_label("パスキーの名前").fill("事務所のノートパソコン")
    page.get_by_label("ログイン画面の「パスキーでログイン」でも使う").check()
    shoot(page, "passkey-01-add")
    page.get_by_role("button", name="パスキーを登録する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("リカバリーコード")
    expect(page.get_by_role("status")).to_contain_text("パスキーを登録しました")
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/")
    expect(page.get_by_role("cell", name="事務所のノートパソコン")).to_be_visible()
    shoot(page, "passkey-02-list")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.get_by_role("button", name="パスキーでログイン").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")
    shoot(page, "passkey-03-home")
