"""The whole onboarding journey of issue 5 in one browser session per person, as it happens in a
municipality without a help desk (issue 5 item 6):

an office applies with its proof of designation → the insurer's admin opens the proof and
approves → the applicant sets a password from the e-mailed link and enrols an authenticator app
→ as office admin invites a care manager → the care manager sets a password, enrols TOTP and
reaches the lookup page → the office admin disables them, and the care manager's open page is
refused on the next click.

Each person has a browser context of their own (their own cookies), on a portrait tablet.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import BrowserContext, FilePayload, Page, expect
from pytest_django.live_server_helper import LiveServer

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.offices.models import ApprovalStatus, OfficeApproval
from tests.browser.conftest import LogIn, Shoot, TotpCode, guard
from tests.documents import pdf
from tests.personas import Cast
from tests.registration import NUMBER, OFFICE_NAME

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
PROOF: FilePayload = {"name": "指定通知書.pdf", "mimeType": "application/pdf", "buffer": pdf()}
ADMIN_EMAIL = "nakamura.admin@test.example"
ADMIN_PASSWORD = "the river runs past the castle at dusk"
CM_EMAIL = "arai.cm@test.example"
CM_PASSWORD = "a slow boat under the camphor trees"
FIRST_PASSWORD = re.compile(r"^パスワード\s*必須$")  # the set-password field's label, with its 必須 mark
LINK = re.compile(r"https?://[^/\s]+(/invitation/[A-Za-z0-9_-]+/)")


def _link_to(outbox: list[EmailMessage], address: str) -> str:
    """The set-password link of the latest e-mail to ``address`` that carries one."""
    links = [found.group(1) for m in outbox if m.to == [address] and (found := LINK.search(str(m.body)))]
    assert links, [m.subject for m in outbox]
    return links[-1]


def _set_password_and_enrol(page: Page, live_server: LiveServer, link: str, password: str, totp_code: TotpCode) -> None:
    """From the e-mailed link to the home page: own password, authenticator app, recovery codes."""
    page.goto(f"{live_server.url}{link}")
    expect(page.get_by_role("heading", level=1)).to_have_text("パスワードの設定")
    page.get_by_label(FIRST_PASSWORD).fill(password)
    page.get_by_label("パスワード(確認のためもう一度)").fill(password)
    page.get_by_role("button", name="パスワードを設定して次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("二要素認証を設定してください")
    page.get_by_role("link", name="認証アプリを設定する").click()
    page.get_by_text("QR コードを読み取れないとき").click()
    secret = page.get_by_label("セットアップキー").input_value()
    page.get_by_label("アプリに表示された6桁の数字").fill(totp_code(secret))
    page.get_by_role("button", name="設定を完了する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("リカバリーコード")
    page.get_by_role("link", name="保管しました(ホームへ進む)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def test_an_office_applies_is_approved_invites_a_care_manager_and_disables_them(  # noqa: PLR0917 - pytest passes fixtures by position
    new_context: Callable[..., BrowserContext],
    live_server: LiveServer,
    cast: Cast,
    shoot: Shoot,
    totp_code: TotpCode,
    log_in: LogIn,
    mailoutbox: list[EmailMessage],
) -> None:
    def tablet() -> tuple[Page, list[str]]:
        page = new_context(viewport=TABLET, has_touch=True).new_page()
        return page, guard(page)

    # 1. The office applies, from the login page, with its proof of designation.
    office, office_problems = tablet()
    office.goto(f"{live_server.url}/accounts/login/")
    office.get_by_role("link", name="事業所の利用申請はこちら").click()
    office.get_by_label("介護保険事業所番号").fill(NUMBER)
    office.get_by_label("事業所名").fill(OFFICE_NAME)
    office.get_by_label("事業所の種別").select_option(label="居宅介護支援事業所")
    office.get_by_label("電話番号").fill("096-123-4567")
    office.get_by_label("担当者名").fill("中村 一郎")
    office.get_by_label("氏名 必須", exact=True).fill("中村 一郎")
    office.get_by_label("メールアドレス").fill(ADMIN_EMAIL)
    office.get_by_label("指定通知書(PDF・PNG・JPEG)").set_input_files(files=PROOF)
    office.get_by_label(f"{cast.insurer_a.name}に利用を申請する").check()
    office.get_by_label(f"{cast.insurer_a.name}の誓約・同意事項に同意する").check()
    office.get_by_role("button", name="利用を申請する").click()
    expect(office.get_by_role("heading", level=1)).to_have_text("利用申請を受け付けました")
    shoot(office, "journey-01-applied")
    approval = OfficeApproval.objects.get(office__number=NUMBER, insurer=cast.insurer_a)
    assert approval.status == ApprovalStatus.PENDING

    # 2. The insurer's admin finds the application first in the list, opens the proof, approves.
    insurer, insurer_problems = tablet()
    log_in(insurer, cast.a_admin)
    insurer.get_by_role("navigation").get_by_role("link", name="事業所", exact=True).click()
    insurer.get_by_role("link", name=OFFICE_NAME).first.click()
    expect(insurer.get_by_role("heading", level=1)).to_have_text(OFFICE_NAME)
    with insurer.expect_download() as download:
        insurer.get_by_role("link", name="指定通知書をダウンロードする").click()
    assert download.value.suggested_filename.endswith(".pdf")
    shoot(insurer, "journey-02-review")
    _no_sideways_scroll(insurer)
    insurer.get_by_role("button", name="承認する").click()
    expect(insurer.get_by_role("status")).to_contain_text("承認")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert AuditEvent.objects.filter(event_type=EventType.OFFICES_APPROVAL_DECIDED, office=approval.office).exists()

    # 3. The applicant sets a password from their link and enrols an authenticator app.
    _set_password_and_enrol(office, live_server, _link_to(mailoutbox, ADMIN_EMAIL), ADMIN_PASSWORD, totp_code)
    shoot(office, "journey-03-office-admin-home")

    # 4. As office admin, they invite a care manager.
    office.get_by_role("navigation").get_by_role("link", name="職員の管理").click()
    office.get_by_role("link", name="職員を招待する").click()
    office.get_by_label("氏名").fill("新井 ケア子")
    office.get_by_label("メールアドレス").fill(CM_EMAIL)
    office.get_by_role("button", name="招待メールを送る").click()
    expect(office.get_by_role("row").filter(has_text=CM_EMAIL)).to_contain_text("招待中")
    shoot(office, "journey-04-invited")

    # 5. The care manager, on a tablet of their own: password, authenticator app, the lookup page.
    cm, cm_problems = tablet()
    _set_password_and_enrol(cm, live_server, _link_to(mailoutbox, CM_EMAIL), CM_PASSWORD, totp_code)
    cm.get_by_role("navigation").get_by_role("link", name="進捗照会").click()
    expect(cm.get_by_role("heading", level=1)).to_have_text("進捗照会")
    expect(cm.get_by_text(f"保険者: {cast.insurer_a.name}")).to_be_visible()  # the one insurer that approved
    shoot(cm, "journey-05-care-manager-lookup")
    _no_sideways_scroll(cm)

    # 6. The office admin disables the care manager (they left the office) …
    office.get_by_role("row").filter(has_text=CM_EMAIL).get_by_role("link").first.click()
    office.get_by_label("無効化の理由").fill("退職")
    office.get_by_role("button", name="無効化する").click()
    expect(office.get_by_role("status")).to_contain_text("無効化")
    shoot(office, "journey-06-disabled")
    assert not User.objects.get(email=CM_EMAIL).is_active

    # … and the care manager's open page is refused on the next click: back at the login page.
    cm.get_by_label("被保険者番号").fill("1234567890")
    cm.get_by_role("navigation").get_by_role("link", name="担当の申請").click()
    expect(cm).to_have_url(re.compile(r"/accounts/login/"))
    expect(cm.get_by_role("heading", level=1)).to_have_text("ログイン")
    shoot(cm, "journey-07-care-manager-refused")

    assert office_problems == [] and insurer_problems == [] and cm_problems == []
