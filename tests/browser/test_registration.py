"""An office manager on a tablet registers the office from the login page: types the number
(full-width, with a check digit to confirm), attaches the proof of designation, reads and
accepts one insurer's pledge, and lands on the page that says what happens next (issue 5 item 7)."""

from __future__ import annotations

import pytest
from playwright.sync_api import FilePayload, Page, expect
from pytest_django.live_server_helper import LiveServer

from shinchoku.offices.models import CareOffice, OfficeApproval
from tests.browser.conftest import Shoot
from tests.documents import pdf
from tests.personas import Cast
from tests.registration import NUMBER_BAD_CHECK_DIGIT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROOF: FilePayload = {"name": "指定通知書.pdf", "mimeType": "application/pdf", "buffer": pdf()}


def test_an_office_registers_with_a_proof_and_a_pledge_on_a_tablet(
    tablet_page: Page, live_server: LiveServer, cast: Cast, shoot: Shoot
) -> None:
    page = tablet_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="事業所の利用申請はこちら").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("事業所の利用申請")
    # No insurer ticked yet: no pledge is shown, so the page stays short.
    expect(page.get_by_label("熊本市の誓約・同意事項に同意する")).to_be_hidden()
    shoot(page, "registration-01-form-tablet")

    full_width = NUMBER_BAD_CHECK_DIGIT.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    page.get_by_label("介護保険事業所番号").fill(full_width)
    page.get_by_label("事業所名").fill("ひかり居宅介護支援事業所")
    page.get_by_label("事業所の種別").select_option(label="居宅介護支援事業所")
    page.get_by_label("電話番号").fill("096-123-4567")
    page.get_by_label("担当者名").fill("山田 花子")
    page.get_by_label("氏名 必須", exact=True).fill("中村 一郎")
    page.get_by_label("メールアドレス").fill("hikari-admin@test.example")
    page.get_by_label("指定通知書(PDF・PNG・JPEG)").set_input_files(files=PROOF)
    page.get_by_label("熊本市に利用を申請する").check()
    pledge = page.get_by_role("region", name="熊本市の誓約・同意事項")
    expect(pledge).to_be_visible()
    expect(pledge).to_contain_text("利用目的")
    page.get_by_label("熊本市の誓約・同意事項に同意する").check()
    expect(page.get_by_label("横浜市の誓約・同意事項に同意する")).to_be_hidden()
    shoot(page, "registration-02-filled-tablet")
    page.get_by_role("button", name="利用を申請する").click()

    # The check digit does not match: the person confirms the number against the paper.
    number_error = page.locator("#id_number_error")
    expect(number_error).to_contain_text("介護保険事業所番号の検査数字が一致しません。")
    expect(page.get_by_label("介護保険事業所番号")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("安全のため、送信したファイルは保存していません。")).to_be_visible()
    shoot(page, "registration-03-check-digit-tablet")
    assert not CareOffice.objects.filter(number=NUMBER_BAD_CHECK_DIGIT).exists()

    page.get_by_label(f"番号 {NUMBER_BAD_CHECK_DIGIT} に誤りがないことを指定通知書で確かめました。").check()
    page.get_by_label("指定通知書(PDF・PNG・JPEG)").set_input_files(files=PROOF)
    page.get_by_role("button", name="利用を申請する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("利用申請を受け付けました")
    expect(page.get_by_text("hikari-admin@test.example あてに、パスワードを設定するためのリンク")).to_be_visible()
    expect(page.get_by_role("heading", name="二要素認証を設定する")).to_be_visible()
    shoot(page, "registration-04-done-tablet")

    office = CareOffice.objects.get(number=NUMBER_BAD_CHECK_DIGIT)
    [approval] = OfficeApproval.objects.filter(office=office)
    assert (approval.insurer, approval.status) == (cast.insurer_a, "pending")
    assert approval.proof is not None
    assert approval.proof.content_type == "application/pdf"
