"""The office admin answers the checklist (issue 5 item 5, flow 1): a draft saved and continued,
signing that names the items still unanswered, 12 months of validity, the history, and a new
submission started from the last one's answers. Every write is audited; a refused one changes
nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.checklists import selectors
from shinchoku.checklists.models import NOTE_MAX_LENGTH, Answer, ChecklistItem, Choice, Submission, SubmissionStatus
from shinchoku.checklists.services import (
    AnswerInput,
    submission_discard,
    submission_save_draft,
    submission_sign,
    submission_start,
)
from tests.checklists import all_answered, sign_checklist
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
TOKYO = ZoneInfo("Asia/Tokyo")
OVERVIEW = reverse("checklists:overview")
ANSWER = reverse("checklists:answer")
LABELS = [f"{s}-{i}" for s, n in ((1, 5), (2, 2), (3, 5), (4, 3), (5, 6)) for i in range(1, n + 1)]


def _start(client: Client, *, copy: bool = False) -> Any:
    return client.post(reverse("checklists:start"), {"copy_previous": "on"} if copy else {})


def _draft(cast: Cast) -> Submission:
    return Submission.objects.get(office=cast.office_a, status=SubmissionStatus.DRAFT)


def _post(
    client: Client,
    draft: Submission,
    choices: dict[str, str],
    *,
    notes: dict[str, str] | None = None,
    action: str = "save",
    confirm: bool = False,
) -> Any:
    data = {"draft": str(draft.pk), "action": action}
    data |= {f"choice-{label}": value for label, value in choices.items()}
    data |= {f"note-{label}": value for label, value in (notes or {}).items()}
    if confirm:
        data["confirm"] = "on"
    return client.post(ANSWER, data)


def _events(event_type: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def _saved(draft: Submission) -> dict[str, tuple[str, str]]:
    return {
        a.item.label: (a.choice, a.note)
        for a in Answer.objects.filter(submission=draft).select_related("item__section")
    }


# -- starting and saving a draft -----------------------------------------------------------------


def test_an_office_without_a_checklist_is_told_so_and_can_start(cast: Cast, sign_in: SignIn) -> None:
    page = sign_in(cast.office_a_admin).get(OVERVIEW).content.decode()

    assert "署名したチェックリストはまだありません" in page
    assert ">未提出</span>" in page
    assert "回答を始める" in page
    assert "前回の回答を引き継いで" not in page  # nothing to take over yet


def test_starting_creates_a_draft_of_the_current_version_audited(cast: Cast, sign_in: SignIn) -> None:
    response = _start(sign_in(cast.office_a_admin))

    assert response.status_code == 302 and response["Location"] == ANSWER
    draft = _draft(cast)
    assert (draft.version.code, draft.started_by) == ("2026-04", cast.office_a_admin)
    assert not Answer.objects.filter(submission=draft).exists()
    [event] = _events(EventType.CHECKLISTS_SUBMISSION_STARTED)
    assert (event.office, event.insurer, event.target_id) == (cast.office_a, None, str(draft.pk))
    assert event.details == {"version": "2026-04", "copied_from": None, "copied": 0}


def test_the_answer_page_has_a_labelled_radio_group_per_item(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)

    page = client.get(ANSWER).content.decode()

    assert page.count('<fieldset class="checklist-item"') == 21
    assert page.count('type="radio"') == 63
    legends = re.findall(r'<legend><span class="checklist-item__no">([0-9-]+)</span>', page)
    assert legends == LABELS
    assert '<h2 id="section-5">5. 安全管理措置等(主に管理者・システム担当者向け)</h2>' in page
    # Each radio has its own label; the 解説書等 text describes its group.
    assert (
        '<label class="choice-option" for="id_choice-1-1_0"><input type="radio" name="choice-1-1" value="done"' in page
    )
    assert 'id="item-1-1" aria-describedby="item-1-1-ref"' in page
    assert '<p class="help" id="item-1-1-ref">解説書等: 「解説書」…P.5  「用語集」 ・無線LAN…P.21</p>' in page
    assert '<label for="id_note-1-1">チェック結果補足(任意)</label>' in page
    assert page.count(">できている</label>") == 21 and page.count(">一部できている</label>") == 21


def test_a_draft_is_saved_in_part_and_shown_again(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    draft = _draft(cast)

    response = _post(client, draft, {"1-1": "done", "3-2": "partly"}, notes={"3-2": "FAXは\r\n来月から二人で確認する"})

    assert response.status_code == 302 and response["Location"] == ANSWER
    assert _saved(draft) == {"1-1": ("done", ""), "3-2": ("partly", "FAXは\n来月から二人で確認する")}
    [event] = _events(EventType.CHECKLISTS_SUBMISSION_SAVED)
    assert event.details == {"version": "2026-04", "answered": 2, "items": 21}
    page = client.get(ANSWER).content.decode()
    assert re.search(r'name="choice-3-2" value="partly"[^>]*checked', page)
    assert "FAXは\n来月から二人で確認する</textarea>" in page
    overview = client.get(OVERVIEW).content.decode()
    assert "21項目中2項目に回答済み" in overview and "回答を続ける" in overview


def test_saving_the_same_answers_again_writes_and_audits_nothing(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    draft = _draft(cast)
    _post(client, draft, {"1-1": "done"})
    _post(client, draft, {"1-1": "done"})

    assert len(_events(EventType.CHECKLISTS_SUBMISSION_SAVED)) == 1


def test_a_note_too_long_is_refused_naming_the_item_and_nothing_is_saved(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    draft = _draft(cast)

    response = _post(client, draft, {"1-1": "done", "2-2": "partly"}, notes={"2-2": "あ" * (NOTE_MAX_LENGTH + 1)})

    assert response.status_code == 200
    page = response.content.decode()
    assert f"2-2: 補足は{NOTE_MAX_LENGTH}文字以内で書いてください(いま{NOTE_MAX_LENGTH + 1}文字)。" in page
    assert '<a href="#item-2-2">' in page
    assert 'class="checklist-item checklist-item--error" id="item-2-2"' in page
    assert _saved(draft) == {}


def test_an_unknown_choice_is_refused(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)

    response = _post(client, _draft(cast), {"4-1": "maybe"})

    assert "4-1: 「できている」「一部できている」「できていない」から選んでください。" in response.content.decode()
    assert _saved(_draft(cast)) == {}


def test_only_one_draft_at_a_time(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)

    response = _start(client)

    assert response.status_code == 302 and response["Location"] == OVERVIEW
    assert Submission.objects.filter(office=cast.office_a).count() == 1
    assert "回答中の下書きがすでにあります" in client.get(OVERVIEW).content.decode()


def test_without_a_draft_the_answer_page_leads_back_to_the_overview(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)

    assert client.get(ANSWER)["Location"] == OVERVIEW
    response = client.post(ANSWER, {"draft": "1", "action": "save", "choice-1-1": "done"}, follow=True)
    assert "回答中の下書きがありません" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_page_left_open_on_a_discarded_draft_cannot_write_to_a_new_one(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    old = _draft(cast)
    client.post(reverse("checklists:discard"))
    _start(client)

    response = _post(client, old, {"1-1": "not_done"})

    assert "この画面を開いた後に、下書きが署名または破棄されました" in response.content.decode()
    assert _saved(_draft(cast)) == {}


def test_discarding_deletes_the_draft_and_its_answers_audited(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    draft = _draft(cast)
    _post(client, draft, {"1-1": "done", "1-2": "done"})

    response = client.post(reverse("checklists:discard"), follow=True)

    assert "下書きを破棄しました" in response.content.decode()
    assert not Submission.objects.exists() and not Answer.objects.exists()
    [event] = _events(EventType.CHECKLISTS_SUBMISSION_DISCARDED)
    assert event.details == {"version": "2026-04", "answered": 2}


# -- signing ---------------------------------------------------------------------------------------


def test_signing_with_items_unanswered_lists_them_by_number_and_saves_nothing(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    draft = _draft(cast)
    answered = {label: "done" for label in LABELS if label not in {"1-2", "3-5", "5-6"}}

    response = _post(client, draft, answered, action="sign", confirm=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "まだ署名できません。次の点を確認してください。この画面で入力した内容は、まだ保存されていません。" in page
    assert "未回答の項目が3項目あります:" in page
    assert re.search(
        r'<a class="nowrap" href="#item-1-2">1-2</a>、<a class="nowrap" href="#item-3-5">3-5</a>、<a class="nowrap" href="#item-5-6">5-6</a>',
        page,
    )
    # Each missing item is marked where it is, and its message is tied to its group.
    assert 'class="checklist-item checklist-item--error" id="item-3-5" aria-describedby=" item-3-5-error"' in page
    assert '<div class="error" id="item-3-5-error"><p>チェック結果を選んでください。</p></div>' in page
    # What was typed stays on the page, but nothing was written.
    assert re.search(r'name="choice-1-1" value="done"[^>]*checked', page)
    assert _saved(draft) == {}
    assert _draft(cast).status == SubmissionStatus.DRAFT
    assert not _events(EventType.CHECKLISTS_SUBMISSION_SIGNED)


def test_signing_needs_the_confirmation_ticked(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)

    response = _post(client, _draft(cast), dict.fromkeys(LABELS, "done"), action="sign")

    page = response.content.decode()
    assert "署名するには、回答の内容を確認したことのチェックを入れてください。" in page
    assert '<a href="#id_confirm">' in page
    assert "未回答の項目" not in page
    assert _draft(cast).status == SubmissionStatus.DRAFT


@time_machine.travel(datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO), tick=False)
def test_signing_every_item_makes_it_current_for_twelve_months(cast: Cast, sign_in: SignIn) -> None:
    client = sign_in(cast.office_a_admin)
    _start(client)
    draft = _draft(cast)
    _post(client, draft, {"1-1": "partly"}, notes={"1-1": "私物スマホの利用を今月中に止める"})
    # The page shows what the draft holds, so the browser sends 1-1 again with the rest.
    page = client.get(ANSWER).content.decode()
    assert re.search(r'name="choice-1-1" value="partly"[^>]*checked', page)
    choices = dict.fromkeys(LABELS, "done") | {"1-1": "partly", "4-2": "not_done"}

    response = _post(
        client, draft, choices, notes={"1-1": "私物スマホの利用を今月中に止める"}, action="sign", confirm=True
    )

    signed = Submission.objects.get(pk=draft.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse("checklists:submission_detail", args=[signed.pk])
    assert signed.status == SubmissionStatus.SIGNED
    assert (signed.signed_by, signed.signed_by_name) == (cast.office_a_admin, "office-a-admin")
    assert signed.signed_at == datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO)
    assert signed.expires_at == datetime(2027, 11, 24, 0, 0, tzinfo=TOKYO)
    assert _saved(signed)["1-1"] == ("partly", "私物スマホの利用を今月中に止める")
    assert _saved(signed)["4-2"] == ("not_done", "")
    [event] = _events(EventType.CHECKLISTS_SUBMISSION_SIGNED)
    assert (event.actor, event.office, event.target_id) == (cast.office_a_admin, cast.office_a, str(signed.pk))
    assert event.details["answers"] == {"done": 19, "partly": 1, "not_done": 1}
    detail = client.get(response["Location"]).content.decode()
    assert "チェックリストに署名しました。2027/11/23 まで有効です。" in detail
    assert "私物スマホの利用を今月中に止める" in detail
    assert '<span class="badge badge--danger">できていない</span>' in detail


def test_the_overview_shows_the_current_checklist_and_the_history(cast: Cast, sign_in: SignIn) -> None:
    with time_machine.travel(datetime(2025, 6, 1, 10, 0, tzinfo=TOKYO), tick=False):
        old = sign_checklist(cast.office_a_admin)
    with time_machine.travel(datetime(2026, 5, 20, 10, 0, tzinfo=TOKYO), tick=False):
        new = sign_checklist(cast.office_a_admin)
        page = sign_in(cast.office_a_admin).get(OVERVIEW).content.decode()

    assert "署名済みのチェックリストは 2027/05/20 まで有効です。" in page
    assert ">有効</span>" in page
    history = page.split('id="history-heading"')[1]
    assert history.index("2026/05/20 10:00") < history.index("2025/06/01 10:00")  # newest first
    assert reverse("checklists:submission_detail", args=[old.pk]) in history
    assert reverse("checklists:submission_detail", args=[new.pk]) in history
    assert "前回の回答を引き継いで回答する" in page


def test_an_expired_checklist_is_shown_as_such(cast: Cast, sign_in: SignIn) -> None:
    with time_machine.travel(datetime(2025, 6, 1, 10, 0, tzinfo=TOKYO), tick=False):
        sign_checklist(cast.office_a_admin)
    with time_machine.travel(datetime(2026, 6, 2, 0, 0, tzinfo=TOKYO), tick=False):
        page = sign_in(cast.office_a_admin).get(OVERVIEW).content.decode()

    assert "チェックリストの有効期限が切れています(2026/06/01 まで有効でした)" in page


def test_a_new_submission_starts_from_the_last_ones_answers(cast: Cast, sign_in: SignIn) -> None:
    first = submission_start(actor=cast.office_a_admin, copy_previous=False)
    answers = all_answered(first) | {
        ChecklistItem.objects.get(section__version=first.version, section__number=2, number=1).pk: AnswerInput(
            choice=Choice.PARTLY, note="共有IDを6月に廃止"
        )
    }
    previous = submission_sign(actor=cast.office_a_admin, submission=first, answers=answers)
    client = sign_in(cast.office_a_admin)

    _start(client, copy=True)

    draft = _draft(cast)
    saved = _saved(draft)
    assert len(saved) == 21
    assert saved["2-1"] == ("partly", "共有IDを6月に廃止")
    assert saved["1-1"] == ("done", "")
    [started] = _events(EventType.CHECKLISTS_SUBMISSION_STARTED)[1:]
    assert started.details == {"version": "2026-04", "copied_from": previous.pk, "copied": 21}
    # The signed one is untouched, and the office stays current while it renews.
    assert Submission.objects.get(pk=previous.pk).status == SubmissionStatus.SIGNED
    assert selectors.office_has_current_checklist(cast.office_a)


def test_a_blank_start_takes_nothing_over(cast: Cast, sign_in: SignIn) -> None:
    sign_checklist(cast.office_a_admin)
    client = sign_in(cast.office_a_admin)

    _start(client, copy=False)

    assert _saved(_draft(cast)) == {}


# -- who may ---------------------------------------------------------------------------------------


def test_another_offices_admin_finds_nothing(cast: Cast, sign_in: SignIn) -> None:
    signed = sign_checklist(cast.office_a_admin)
    client = sign_in(cast.office_b_admin)

    assert client.get(reverse("checklists:submission_detail", args=[signed.pk])).status_code == 404
    assert client.get(reverse("checklists:submission_pdf", args=[signed.pk])).status_code == 404
    assert cast.office_a.name not in client.get(OVERVIEW).content.decode()


def test_the_services_refuse_care_managers_and_other_offices(cast: Cast) -> None:
    draft = submission_start(actor=cast.office_a_admin, copy_previous=False)

    with pytest.raises(PermissionDenied):
        submission_start(actor=cast.office_a_cm, copy_previous=False)
    with pytest.raises(PermissionDenied):
        submission_save_draft(actor=cast.office_a_cm, submission=draft, answers={})
    with pytest.raises(ValidationError, match="この下書きはもうありません"):
        submission_save_draft(actor=cast.office_b_admin, submission=draft, answers=all_answered(draft))
    with pytest.raises(ValidationError, match="この下書きはもうありません"):
        submission_discard(actor=cast.office_b_admin, submission=draft)
    assert not Answer.objects.exists()


def test_a_signed_checklist_never_changes(cast: Cast) -> None:
    signed = sign_checklist(cast.office_a_admin)
    answers = {pk: AnswerInput(choice=Choice.NOT_DONE) for pk in all_answered(signed)}

    with pytest.raises(ValidationError, match="この下書きはもうありません"):
        submission_save_draft(actor=cast.office_a_admin, submission=signed, answers=answers)
    with pytest.raises(ValidationError):
        submission_sign(actor=cast.office_a_admin, submission=signed, answers=answers)
    with pytest.raises(ValidationError):
        submission_discard(actor=cast.office_a_admin, submission=signed)
    assert set(Answer.objects.filter(submission=signed).values_list("choice", flat=True)) == {"done"}


def test_the_service_refuses_to_sign_an_incomplete_draft_naming_the_items(cast: Cast) -> None:
    draft = submission_start(actor=cast.office_a_admin, copy_previous=False)
    answers = all_answered(draft)
    for item in ChecklistItem.objects.filter(section__version=draft.version, section__number=4):
        answers.pop(item.pk)

    with pytest.raises(ValidationError) as refused:
        submission_sign(actor=cast.office_a_admin, submission=draft, answers=answers)

    assert refused.value.messages == [
        "未回答の項目が3項目あります: 4-1、4-2、4-3。すべての項目に回答してから署名してください。"
    ]
    assert not Answer.objects.filter(submission=draft).exists()
