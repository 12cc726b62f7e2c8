"""An office admin on a tablet answers the security checklist (issue 5 item 5): answers a few
items and saves a draft, tries to sign and is shown which items are missing, answers the rest,
signs, and downloads the PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from shinchoku.checklists.models import Submission, SubmissionStatus
from tests.browser.conftest import LogIn, Shoot
from tests.checklists import ensure_versions, sign_checklist
from tests.personas import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = [f"{s}-{i}" for s, n in ((1, 5), (2, 2), (3, 5), (4, 3), (5, 6)) for i in range(1, n + 1)]


def test_an_office_admin_answers_and_signs_the_checklist_on_a_tablet(
    tablet_page: Page, cast: Cast, shoot: Shoot, log_in: LogIn
) -> None:
    ensure_versions()  # the previous browser test's flush emptied the tables the migration filled
    page = tablet_page
    user = cast.office_a_admin

    log_in(page, user)

    page.get_by_role("navigation").get_by_role("link", name="情報安全管理チェックリスト").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("情報安全管理チェックリスト")
    expect(page.get_by_text("署名したチェックリストはまだありません。")).to_be_visible()
    shoot(page, "checklist-01-overview-tablet")
    page.get_by_role("button", name="回答を始める").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("チェックリストに回答する")

    # A few items, one with a note, then a draft.
    page.locator("#item-1-1").get_by_label("できている", exact=True).check()
    page.locator("#item-1-4").get_by_label("一部できている", exact=True).check()
    page.locator("#item-1-4").get_by_label("チェック結果補足(任意)").fill(
        "昼休みに無人になることがある。来月から当番制にする。"
    )
    page.locator("#item-4-1").get_by_label("できていない", exact=True).check()
    shoot(page, "checklist-02-answering-tablet")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.get_by_role("status")).to_contain_text("下書きを保存しました")
    expect(page.locator("#item-1-4").get_by_label("一部できている", exact=True)).to_be_checked()

    # Signing now: the page names the 18 items still unanswered, and each is marked in place.
    page.get_by_label("上の回答が、この事業所のいまの取り組みのとおりであることを確認しました。").check()
    page.get_by_role("button", name="署名して提出する").click()
    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("まだ署名できません")
    expect(summary).to_contain_text("未回答の項目が18項目あります")
    expect(summary.get_by_role("link", name="5-6", exact=True)).to_be_visible()
    expect(page.locator("#item-1-2")).to_contain_text("チェック結果を選んでください。")
    shoot(page, "checklist-03-missing-items")
    summary.get_by_role("link", name="1-2", exact=True).click()
    expect(page).to_have_url(re.compile(r"#item-1-2$"))
    assert Submission.objects.get(office=cast.office_a).status == SubmissionStatus.DRAFT

    for label in LABELS:
        group = page.locator(f"#item-{label}")
        if not group.locator("input:checked").count():
            group.get_by_label("できている", exact=True).check()
    expect(
        page.get_by_label("上の回答が、この事業所のいまの取り組みのとおりであることを確認しました。")
    ).to_be_checked()
    page.get_by_role("button", name="署名して提出する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("署名済みのチェックリスト")
    expect(page.get_by_role("status")).to_contain_text("チェックリストに署名しました。")
    expect(page.get_by_text("昼休みに無人になることがある。来月から当番制にする。")).to_be_visible()
    shoot(page, "checklist-04-signed-tablet")
    signed = Submission.objects.get(office=cast.office_a)
    assert signed.status == SubmissionStatus.SIGNED and signed.signed_by == user

    with page.expect_download() as download:
        page.get_by_role("link", name="PDFをダウンロード(印刷用)").click()
    assert re.fullmatch(r"checklist-4370100010-\d{8}\.pdf", download.value.suggested_filename)

    page.get_by_role("link", name="← 情報安全管理チェックリスト").click()
    expect(page.get_by_text(re.compile(r"署名済みのチェックリストは \d{4}/\d{2}/\d{2} まで有効です。"))).to_be_visible()
    shoot(page, "checklist-05-overview-signed")


def test_an_insurer_admin_sees_each_offices_checklist_and_opens_the_answers(
    page: Page, cast: Cast, shoot: Shoot, log_in: LogIn
) -> None:
    ensure_versions()
    sign_checklist(cast.office_a_admin)
    user = cast.a_admin

    log_in(page, user)

    page.get_by_role("navigation").get_by_role("link", name="事業所のチェックリスト").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("事業所のチェックリスト")
    row = page.get_by_role("row").filter(has_text=cast.office_a.name)
    expect(row).to_contain_text("有効")
    shoot(page, "checklist-06-insurer-list")
    row.get_by_role("link", name="回答を見る").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(cast.office_a.name)
    expect(page.get_by_text("1-1", exact=True)).to_be_visible()
    shoot(page, "checklist-07-insurer-answers")
