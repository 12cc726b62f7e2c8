"""An office admin invites a care manager, who sets a password from the e-mailed link, sets up an
authenticator app and reaches the home page — all on a portrait tablet (issue 5 item 3)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from shinchoku.accounts.invitations import invitation_issue
from shinchoku.accounts.models import Invitation, User
from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import user_create
from tests.browser.conftest import LogIn, Shoot, TotpCode, guard
from tests.personas import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a slow boat under the camphor trees"
TABLET = {"width": 820, "height": 1180}
FIRST_PASSWORD = re.compile(r"^パスワード\s*必須$")  # the label, with its 必須 mark


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def test_an_office_admin_invites_a_care_manager_who_sets_up_their_account(  # noqa: PLR0917 - pytest passes fixtures by position
    tablet_page: Page,
    new_context: Callable[..., BrowserContext],
    live_server: LiveServer,
    cast: Cast,
    shoot: Shoot,
    totp_code: TotpCode,
    log_in: LogIn,
    mailoutbox: list[EmailMessage],
) -> None:
    page = tablet_page
    admin = cast.office_a_admin
    log_in(page, admin)

    page.get_by_role("navigation").get_by_role("link", name="職員の管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("職員の管理")
    page.get_by_role("link", name="職員を招待する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("職員を招待する")
    shoot(page, "invite-01-form-tablet")
    _no_sideways_scroll(page)

    # A typo in the address first: the error is on the field and names what is wrong.
    page.get_by_label("氏名").fill("新井 ケア子")
    page.get_by_label("メールアドレス").fill("arai.care@")
    page.get_by_role("button", name="招待メールを送る").click()
    expect(page.get_by_text("メールアドレスの形式が正しくありません")).to_be_visible()
    expect(page.get_by_label("メールアドレス")).to_have_attribute("aria-invalid", "true")
    shoot(page, "invite-02-error")

    page.get_by_label("メールアドレス").fill("arai.care@test.example")
    page.get_by_role("button", name="招待メールを送る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("職員の管理")
    expect(page.get_by_role("status")).to_contain_text("招待メールを送りました")
    row = page.get_by_role("row").filter(has_text="arai.care@test.example")
    expect(row).to_contain_text("招待中")
    shoot(page, "invite-03-list-invited")
    _no_sideways_scroll(page)

    [message] = mailoutbox
    assert message.to == ["arai.care@test.example"]
    found = re.search(r"https?://[^/\s]+(/invitation/[A-Za-z0-9_-]+/)", str(message.body))
    assert found is not None, message.body
    link = found.group(1)

    # The care manager, on their own tablet.
    newcomer = new_context(viewport=TABLET, has_touch=True).new_page()
    problems = guard(newcomer)
    newcomer.goto(f"{live_server.url}{link}")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("パスワードの設定")
    expect(newcomer.get_by_text("新井 ケア子")).to_be_visible()
    expect(newcomer.get_by_text(cast.office_a.name)).to_be_visible()
    shoot(newcomer, "invite-04-set-password-tablet")
    _no_sideways_scroll(newcomer)

    newcomer.get_by_label(FIRST_PASSWORD).fill(NEW_PASSWORD)
    newcomer.get_by_label("パスワード(確認のためもう一度)").fill(NEW_PASSWORD + "!")
    newcomer.get_by_role("button", name="パスワードを設定して次へ").click()
    expect(newcomer.get_by_text("2つのパスワードが一致しません")).to_be_visible()
    shoot(newcomer, "invite-05-mismatch")

    newcomer.get_by_label(FIRST_PASSWORD).fill(NEW_PASSWORD)
    newcomer.get_by_label("パスワード(確認のためもう一度)").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="パスワードを設定して次へ").click()

    expect(newcomer).to_have_url(re.compile(r"/account/second-factor/$"))
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("二要素認証を設定してください")
    expect(newcomer.get_by_role("status")).to_contain_text("パスワードを設定しました")
    shoot(newcomer, "invite-06-enrol-tablet")
    newcomer.get_by_role("link", name="認証アプリを設定する").click()

    # No second request for the password just chosen: straight to the authenticator app.
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("認証アプリの設定")
    newcomer.get_by_text("QR コードを読み取れないとき").click()
    secret = newcomer.get_by_label("セットアップキー").input_value()
    shoot(newcomer, "invite-07-authenticator-app-tablet")
    newcomer.get_by_label("アプリに表示された6桁の数字").fill(totp_code(secret))
    newcomer.get_by_role("button", name="設定を完了する").click()

    expect(newcomer.get_by_role("heading", level=1)).to_have_text("リカバリーコード")
    shoot(newcomer, "invite-08-recovery-codes-tablet")
    newcomer.get_by_role("link", name="保管しました(ホームへ進む)").click()
    expect(newcomer.get_by_role("heading", level=1)).to_contain_text("ようこそ")
    expect(newcomer.get_by_role("navigation").get_by_role("link", name="進捗照会")).to_be_visible()
    shoot(newcomer, "invite-09-home-tablet")
    _no_sideways_scroll(newcomer)

    user = User.objects.get(email="arai.care@test.example")
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get(user=user).used_at is not None

    # The link is spent: opening it again says so, in the same words whatever the reason.
    newcomer.get_by_role("button", name="ログアウト").click()
    newcomer.goto(f"{live_server.url}{link}")
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("この招待のリンクは使えません")
    shoot(newcomer, "invite-10-link-spent")
    # Chromium reports the page's own status (410 Gone) on the console; that one is expected.
    problems[:] = [p for p in problems if "status of 410" not in p]

    page.reload()
    row = page.get_by_role("row").filter(has_text="arai.care@test.example")
    expect(row).to_contain_text("有効")
    expect(row).to_contain_text("設定済み")
    shoot(page, "invite-11-list-active")
    assert problems == []


def test_an_office_admin_resends_an_invitation_and_resets_a_lost_second_factor(  # noqa: PLR0917 - pytest passes fixtures by position
    tablet_page: Page,
    live_server: LiveServer,
    cast: Cast,
    shoot: Shoot,
    totp_code: TotpCode,
    log_in: LogIn,
    mailoutbox: list[EmailMessage],
) -> None:
    page = tablet_page
    invitee = user_create(
        actor=cast.office_a_admin,
        email="slow-reader@test.example",
        display_name="遅野 読子",
        role=Role.CARE_MANAGER,
        office=cast.office_a,
    )
    invitation_issue(actor=cast.office_a_admin, user=invitee)
    log_in(page, cast.office_a_admin)

    page.get_by_role("navigation").get_by_role("link", name="職員の管理").click()
    page.get_by_role("link", name="遅野 読子").click()
    expect(page.get_by_role("heading", level=2, name="招待")).to_be_visible()
    shoot(page, "staff-01-invited-detail-tablet")
    _no_sideways_scroll(page)
    page.get_by_role("button", name="招待メールを送り直す").click()
    expect(page.get_by_role("status")).to_contain_text("招待メールを送りました")
    assert [m.to for m in mailoutbox][-1] == ["slow-reader@test.example"]
    shoot(page, "staff-02-resent")

    page.get_by_role("link", name="職員の一覧").click()
    page.get_by_role("link", name="office-a-cm").click()
    reset = page.get_by_role("region", name="二要素認証をリセットする")
    expect(reset).to_be_visible()
    shoot(page, "staff-03-active-detail-tablet")
    _no_sideways_scroll(page)
    reset.get_by_role("button", name="二要素認証をリセットする").click()
    expect(page.get_by_text("リセットの理由を入力してください。")).to_be_visible()
    reset.get_by_label("リセットの理由").fill("スマートフォン紛失・リカバリーコードなし(電話で本人確認)")
    reset.get_by_role("button", name="二要素認証をリセットする").click()
    expect(page.get_by_role("status")).to_contain_text("二要素認証をリセットし")
    expect(page.get_by_text("未設定(次のログインで設定します)")).to_be_visible()
    shoot(page, "staff-04-after-reset")
    assert mailoutbox[-1].to == [cast.office_a_cm.email]


def test_a_platform_admin_adds_an_insurer_with_its_first_admin(
    tablet_page: Page, cast: Cast, shoot: Shoot, log_in: LogIn
) -> None:
    page = tablet_page
    log_in(page, cast.platform_admin)

    page.get_by_role("navigation").get_by_role("link", name="保険者の管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("保険者の管理")
    shoot(page, "insurers-01-list-tablet")
    _no_sideways_scroll(page)
    page.get_by_role("link", name="保険者を登録する").click()
    page.get_by_label("保険者番号").fill("472011")
    page.get_by_label("保険者名").fill("那覇市")
    page.get_by_label("管理者の氏名").fill("比嘉 太郎")
    page.get_by_label("管理者のメールアドレス").fill("higa@test.example")
    page.get_by_role("button", name="登録して招待する").click()
    expect(page.get_by_text("検査数字が一致しません")).to_be_visible()
    shoot(page, "insurers-02-check-digit-warning-tablet")
    _no_sideways_scroll(page)

    page.get_by_role("button", name="登録して招待する").click()
    expect(page.get_by_role("status")).to_contain_text("保険者「那覇市」を登録しました")
    expect(page.get_by_role("row").filter(has_text="那覇市")).to_contain_text("招待中")
    shoot(page, "insurers-03-added")
