"""The stage and clock of an application (DESIGN §4), computed without Django."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from shinchoku.cases.progress import (
    LEGAL_LIMIT_DAYS,
    CaseDates,
    StepStatus,
    Track,
    case_progress,
)

APPLIED = date(2025, 4, 1)


@dataclass(frozen=True)
class Dates:
    applied_on: date = APPLIED
    survey_requested_on: date | None = None
    survey_scheduled_on: date | None = None
    survey_done_on: date | None = None
    opinion_requested_on: date | None = None
    opinion_received_on: date | None = None
    primary_judged_on: date | None = None
    committee_scheduled_on: date | None = None
    committee_held_on: date | None = None
    certified_on: date | None = None
    result_sent_on: date | None = None
    closure: str = ""
    closed_on: date | None = None
    extension_notified_on: date | None = None
    extension_reason: str = ""
    extension_expected_on: date | None = None


def day(n: int) -> date:
    return APPLIED + timedelta(days=n)


DECIDED = Dates(
    survey_requested_on=day(2),
    survey_scheduled_on=day(9),
    survey_done_on=day(9),
    opinion_requested_on=day(2),
    opinion_received_on=day(15),
    primary_judged_on=day(17),
    committee_scheduled_on=day(25),
    committee_held_on=day(25),
    certified_on=day(25),
    result_sent_on=day(27),
)


def statuses(case: CaseDates, today: date) -> dict[str, StepStatus]:
    return {s.key: s.status for s in case_progress(case, today=today).steps}


def test_the_steps_follow_the_order_of_the_certification_process() -> None:
    progress = case_progress(Dates(), today=day(1))

    assert [s.key for s in progress.steps] == [
        "applied",
        "survey_requested",
        "survey_done",
        "opinion_requested",
        "opinion_received",
        "primary_judged",
        "committee",
        "certified",
        "result_sent",
    ]
    assert [s.label for s in progress.steps][:3] == ["申請受付", "認定調査 依頼", "認定調査 実施"]
    assert {s.track for s in progress.steps if s.key.startswith("survey")} == {Track.SURVEY}
    assert {s.track for s in progress.steps if s.key.startswith("opinion")} == {Track.OPINION}


def test_a_fresh_application_has_only_its_reception_done() -> None:
    progress = case_progress(Dates(), today=day(3))

    assert progress.steps[0].status is StepStatus.DONE
    assert progress.steps[0].on == APPLIED
    assert all(s.status is StepStatus.PENDING for s in progress.steps[1:])
    assert progress.stage == "認定調査・主治医意見書待ち"
    assert progress.elapsed_days == 3
    assert progress.current_step is not None
    assert progress.current_step.key == "survey_requested"
    assert not progress.past_legal_limit
    assert not progress.overdue_without_extension


def test_a_planned_survey_is_scheduled_with_its_planned_day() -> None:
    case = Dates(survey_requested_on=day(1), survey_scheduled_on=day(8))

    step = next(s for s in case_progress(case, today=day(4)).steps if s.key == "survey_done")

    assert step.status is StepStatus.SCHEDULED
    assert step.on == day(8)


def test_a_planned_committee_is_scheduled_until_it_is_held() -> None:
    planned = replace(DECIDED, committee_held_on=None, certified_on=None, result_sent_on=None)

    assert statuses(planned, day(20))["committee"] is StepStatus.SCHEDULED
    assert case_progress(planned, today=day(20)).stage == "介護認定審査会待ち"
    assert statuses(DECIDED, day(30))["committee"] is StepStatus.DONE


def test_the_stage_names_what_is_awaited() -> None:
    survey_only = Dates(survey_requested_on=day(1), survey_done_on=day(5), opinion_requested_on=day(1))
    opinion_only = Dates(opinion_requested_on=day(1), opinion_received_on=day(5))
    both = replace(survey_only, opinion_received_on=day(10))

    assert case_progress(survey_only, today=day(6)).stage == "主治医意見書待ち"
    assert case_progress(opinion_only, today=day(6)).stage == "認定調査待ち"
    assert case_progress(both, today=day(11)).stage == "一次判定待ち"
    assert case_progress(replace(DECIDED, result_sent_on=None), today=day(26)).stage == "認定済み(結果通知の発送待ち)"
    assert case_progress(DECIDED, today=day(40)).stage == "結果通知済み"


def test_a_later_step_on_file_marks_the_earlier_ones_done_without_a_day() -> None:
    case = Dates(survey_done_on=day(6), primary_judged_on=day(12))

    steps = {s.key: s for s in case_progress(case, today=day(13)).steps}

    assert steps["survey_requested"].status is StepStatus.DONE
    assert steps["survey_requested"].on is None
    # 一次判定 needs both documents: the opinion was received even though no day is on file.
    assert steps["opinion_received"].status is StepStatus.DONE
    assert steps["committee"].status is StepStatus.PENDING


def test_the_two_parallel_tracks_do_not_imply_each_other() -> None:
    case = Dates(survey_done_on=day(6))

    result = statuses(case, day(7))

    assert result["survey_requested"] is StepStatus.DONE
    assert result["opinion_requested"] is StepStatus.PENDING
    assert result["opinion_received"] is StepStatus.PENDING


def test_the_clock_stops_at_the_decision() -> None:
    progress = case_progress(DECIDED, today=day(90))

    assert progress.decided
    assert progress.elapsed_days == 25
    assert not progress.past_legal_limit
    assert progress.current_step is None


def test_an_open_case_past_30_days_without_a_notice_is_overdue() -> None:
    case = Dates(survey_requested_on=day(2), survey_done_on=day(10))

    on_the_day = case_progress(case, today=day(LEGAL_LIMIT_DAYS))
    the_day_after = case_progress(case, today=day(LEGAL_LIMIT_DAYS + 1))

    assert not on_the_day.past_legal_limit
    assert the_day_after.past_legal_limit
    assert the_day_after.overdue_without_extension
    assert the_day_after.elapsed_days == 31


def test_an_extension_notice_lifts_the_overdue_flag_and_is_reported() -> None:
    case = Dates(
        extension_notified_on=day(28),
        extension_reason="主治医意見書の提出遅延のため",
        extension_expected_on=day(45),
    )

    progress = case_progress(case, today=day(35))

    assert progress.past_legal_limit
    assert not progress.overdue_without_extension
    assert progress.extension is not None
    assert progress.extension.notified_on == day(28)
    assert progress.extension.reason == "主治医意見書の提出遅延のため"
    assert progress.extension.expected_on == day(45)


def test_a_late_decision_without_a_notice_stays_flagged() -> None:
    late = replace(DECIDED, certified_on=day(40), committee_held_on=day(40), result_sent_on=None)

    progress = case_progress(late, today=day(60))

    assert progress.decided
    assert progress.elapsed_days == 40
    assert progress.overdue_without_extension


def test_a_withdrawn_application_shows_its_closure_and_stops_the_clock() -> None:
    case = Dates(survey_requested_on=day(2), closure="withdrawn", closed_on=day(12))

    progress = case_progress(case, today=day(80))

    assert progress.closed
    assert not progress.decided
    assert progress.stage == "取下げ"
    assert progress.closure_label == "取下げ"
    assert progress.closed_on == day(12)
    assert progress.elapsed_days == 12
    assert not progress.overdue_without_extension


def test_a_rejected_application_is_labelled_as_such() -> None:
    case = Dates(closure="rejected", closed_on=day(50))

    progress = case_progress(case, today=day(80))

    assert progress.stage == "却下"
    assert progress.past_legal_limit
    assert not progress.overdue_without_extension


def test_a_date_before_the_application_never_gives_negative_days() -> None:
    assert case_progress(Dates(), today=day(-3)).elapsed_days == 0
