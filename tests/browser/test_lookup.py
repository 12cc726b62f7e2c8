"""A care manager on a tablet: signs in with an authenticator code, looks a case up by its key,
then opens the office's linked cases and follows one (issue 4 item 8)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from shinchoku.cases.codes import ApplicationKind
from shinchoku.lookup.models import Follow
from tests.browser.conftest import LogIn, Shoot
from tests.cases import make_case
from tests.personas import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_care_manager_looks_up_a_case_and_opens_the_linked_cases(
    tablet_page: Page, cast: Cast, shoot: Shoot, log_in: LogIn
) -> None:
    page = tablet_page
    user = cast.office_a_cm
    applied = timezone.localdate() - timedelta(days=20)
    case = make_case(
        cast.insurer_a,
        "0000123456",
        applied,
        kind=ApplicationKind.RENEWAL,
        office_number=cast.office_a.number,
        survey_requested_on=applied + timedelta(days=2),
        survey_done_on=applied + timedelta(days=9),
        opinion_requested_on=applied + timedelta(days=2),
        committee_scheduled_on=applied + timedelta(days=27),
    )
    make_case(cast.insurer_a, "0000222222", applied - timedelta(days=7), office_number=cast.office_a.number)

    log_in(page, user)

    page.get_by_role("navigation").get_by_role("link", name="進捗照会").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("進捗照会")
    expect(page.get_by_label("被保険者番号")).to_have_attribute("autocomplete", "off")
    shoot(page, "lookup-01-form-tablet")

    # A typo first: the answer says what to check and shows nothing else.
    page.get_by_label("被保険者番号").fill("0000123465")
    page.get_by_label("申請日(カレンダーから選ぶ)").fill(applied.isoformat())
    page.get_by_label("申請区分").select_option(label="更新")
    page.get_by_role("button", name="照会する").click()
    expect(page.get_by_role("heading", name="該当する申請が見つかりません")).to_be_visible()
    shoot(page, "lookup-02-not-found")

    # Then the right key, typed full-width with the date in 和暦 as on the paper form.
    wareki = f"令和{applied.year - 2018}年{applied.month}月{applied.day}日"
    page.get_by_label("被保険者番号").fill("００００１２３４５６")
    page.get_by_label("申請日(カレンダーから選ぶ)").fill("")
    page.get_by_label("または申請日を文字で入力").fill(wareki)
    page.get_by_label("申請区分").select_option(label="更新")
    page.get_by_role("button", name="照会する").click()
    result = page.locator("#lookup-result")
    expect(result.get_by_role("heading", name="照会結果")).to_be_visible()
    expect(result).to_contain_text("主治医意見書待ち")
    expect(result).to_contain_text("0000123456")
    expect(result).to_contain_text("介護認定審査会")
    expect(page).to_have_url(re.compile(r"/lookup/$"))  # the number never reaches the address bar
    shoot(page, "lookup-03-result-tablet")

    page.get_by_role("navigation").get_by_role("link", name="担当の申請").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("担当の申請")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)  # a header and two cases
    shoot(page, "lookup-04-linked-list")

    # Each row's button names its application day for screen readers (a visually hidden part).
    page.get_by_role("link", name=f"{applied:%Y/%m/%d}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("担当の申請の詳細")
    page.get_by_role("button", name="この申請をフォローする").click()
    expect(page.get_by_role("status")).to_contain_text("フォローしました")
    expect(page.get_by_role("button", name="フォローをやめる")).to_be_visible()
    shoot(page, "lookup-05-followed")
    assert Follow.objects.filter(user=user, case=case).exists()
