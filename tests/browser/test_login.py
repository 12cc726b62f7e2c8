"""What a care manager does first: sign in with a password and an authenticator code, or set one up."""

from __future__ import annotations

import re

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from shinchoku.accounts.models import User
from shinchoku.accounts.roles import Role
from tests.browser.conftest import Shoot, TotpCode
from tests.personas import PASSWORD, Cast, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BASE32 = re.compile(r"^[A-Z2-7]{16,}$")


def _enter_password(page: Page, live_server: LiveServer, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()


def test_a_care_manager_signs_in_with_password_and_authenticator_code(
    page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot, totp_code: TotpCode
) -> None:
    user = cast.office_a_cm
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page).to_have_title(re.compile("^ログイン"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    shoot(page, "login-01-page")

    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    shoot(page, "login-02-filled")
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("確認コードの入力")
    shoot(page, "login-03-second-factor")

    code = totp_code(cast.totp_secrets[user.email])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    page.get_by_label("6桁の確認コード").fill(wrong)
    page.get_by_role("button", name="確認してログイン").click()
    expect(page.get_by_role("alert")).to_contain_text("コードが正しくありません")
    expect(page.get_by_label("6桁の確認コード")).to_be_focused()
    shoot(page, "login-04-wrong-code")

    page.get_by_label("6桁の確認コード").fill(totp_code(cast.totp_secrets[user.email]))
    page.get_by_role("button", name="確認してログイン").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")
    shoot(page, "login-05-home")


def test_the_login_and_home_pages_fit_a_tablet(
    tablet_page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot, totp_code: TotpCode
) -> None:
    page = tablet_page
    user = cast.office_a_cm
    page.goto(f"{live_server.url}/accounts/login/")
    shoot(page, "tablet-01-login")
    _enter_password(page, live_server, user)
    page.get_by_label("6桁の確認コード").fill(totp_code(cast.totp_secrets[user.email]))
    shoot(page, "tablet-02-second-factor")
    page.get_by_role("button", name="確認してログイン").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")
    shoot(page, "tablet-03-home")
    # Nothing wider than the screen: no sideways scrolling on a tablet held upright.
    assert page.evaluate("document.documentElement.scrollWidth") <= 820


def test_an_account_without_a_second_factor_sets_up_an_authenticator_app(
    page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot, totp_code: TotpCode
) -> None:
    user = make_user("new-cm@test.example", Role.CARE_MANAGER, office=cast.office_a, second_factor=False)
    _enter_password(page, live_server, user)

    expect(page).to_have_url(re.compile(r"/account/second-factor/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("二要素認証を設定してください")
    shoot(page, "enrol-01-choose")
    page.get_by_role("link", name="認証アプリを設定する").click()

    # allauth asks for the password again before any authenticator is added.
    expect(page.get_by_role("heading", level=1)).to_have_text("本人確認")
    shoot(page, "enrol-02-confirm-password")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="確認して続ける").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("認証アプリの設定")
    expect(page.get_by_role("img", name="認証アプリに読み取らせる QR コード")).to_be_visible()
    shoot(page, "enrol-03-authenticator-app")
    page.get_by_text("QR コードを読み取れないとき").click()
    key = page.get_by_label("セットアップキー")
    expect(key).to_be_visible()
    secret = key.input_value()
    assert BASE32.match(secret)
    shoot(page, "enrol-04-setup-key")

    code = page.get_by_label("アプリに表示された6桁の数字")
    code.fill(totp_code(secret))
    page.get_by_role("button", name="設定を完了する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("リカバリーコード")
    codes = page.get_by_role("list", name="未使用のコード").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"\d{8}", text) for text in codes.all_inner_texts())
    shoot(page, "enrol-05-recovery-codes")

    page.get_by_role("link", name="保管しました(ホームへ進む)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")
    shoot(page, "enrol-06-home")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="アカウントとセキュリティ").click()
    page.get_by_role("link", name=re.compile("二要素認証")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("二要素認証の管理")
    expect(page.get_by_text("使用中")).to_be_visible()
    shoot(page, "enrol-07-manage")


def test_the_passkey_button_without_a_passkey_leaves_the_login_page_usable(
    page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot, totp_code: TotpCode
) -> None:
    # A platform authenticator that holds no passkey: what an office PC with Windows Hello offers.
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
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda message: message.type == "error") as refused:
        page.get_by_role("button", name="パスキーでログイン").click()
    assert "NotAllowedError" in refused.value.text
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    shoot(page, "login-06-passkey-refused")

    user = cast.office_a_cm
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_label("6桁の確認コード").fill(totp_code(cast.totp_secrets[user.email]))
    page.get_by_role("button", name="確認してログイン").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")


def test_a_forgotten_password_is_reset_by_mail_from_the_login_page(
    page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot, mailoutbox: list[EmailMessage]
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="パスワードを忘れた場合").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードの再設定")
    page.get_by_label("メールアドレス").fill(cast.office_a_cm.email)
    shoot(page, "reset-01-request")
    page.get_by_role("button", name="再設定のメールを送る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("再設定のメールを送りました")
    shoot(page, "reset-02-sent")
    assert [message.to for message in mailoutbox] == [[cast.office_a_cm.email]]


def test_the_language_switcher_in_the_footer_changes_language_and_back(
    page: Page, live_server: LiveServer, shoot: Shoot
) -> None:
    login_url = f"{live_server.url}/accounts/login/"
    page.goto(login_url)
    page.get_by_label("表示言語 / Language").select_option("en")
    page.get_by_role("button", name="切替").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(login_url)
    expect(page.get_by_label("表示言語 / Language")).to_have_value("en")
    shoot(page, "language-01-english")

    page.get_by_label("表示言語 / Language").select_option("ja")
    page.get_by_role("button", name="切替").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")


def test_keyboard_focus_is_visible_and_targets_are_large_enough(
    page: Page, live_server: LiveServer, shoot: Shoot
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    email = page.get_by_label("メールアドレス")
    expect(email).to_be_focused()
    assert email.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    shoot(page, "focus-01-login-email")

    page.get_by_role("button", name="ログイン", exact=True).focus()
    shoot(page, "focus-02-login-button")
    too_small = page.evaluate(
        """() => [...document.querySelectorAll('button, .button, input, select')]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .filter(e => e.getBoundingClientRect().height < 44)
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert too_small == []
