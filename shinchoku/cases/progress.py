"""Where a certification application stands: its steps in order, the current stage, the clock.

DESIGN §4: 申請受付 → 認定調査 (依頼 → 実施) and 主治医意見書 (依頼 → 受領), in parallel →
一次判定 → 介護認定審査会 → 認定 → 結果通知; decided within 30 days of the application unless
a 延期通知 was sent. Used by the staff case page and the care managers' page, so it needs no
Django: it takes anything with the case's date attributes and ``today``. Labels are Japanese
msgids marked with ``gettext_noop`` for ``makemessages``; templates translate them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Protocol

LEGAL_LIMIT_DAYS = 30  # 介護保険法 27条11項


def gettext_noop(message: str) -> str:
    """Marks a msgid for extraction; translation happens where it is shown."""
    return message


class CaseDates(Protocol):
    """The attributes of a case that progress reads (``cases.models.Case`` has them all)."""

    @property
    def applied_on(self) -> date: ...
    @property
    def survey_requested_on(self) -> date | None: ...
    @property
    def survey_scheduled_on(self) -> date | None: ...
    @property
    def survey_done_on(self) -> date | None: ...
    @property
    def opinion_requested_on(self) -> date | None: ...
    @property
    def opinion_received_on(self) -> date | None: ...
    @property
    def primary_judged_on(self) -> date | None: ...
    @property
    def committee_scheduled_on(self) -> date | None: ...
    @property
    def committee_held_on(self) -> date | None: ...
    @property
    def certified_on(self) -> date | None: ...
    @property
    def result_sent_on(self) -> date | None: ...
    @property
    def closure(self) -> str: ...
    @property
    def closed_on(self) -> date | None: ...
    @property
    def extension_notified_on(self) -> date | None: ...
    @property
    def extension_reason(self) -> str: ...
    @property
    def extension_expected_on(self) -> date | None: ...


class StepStatus(enum.StrEnum):
    DONE = "done"
    SCHEDULED = "scheduled"
    PENDING = "pending"


class Track(enum.StrEnum):
    """Survey and opinion run in parallel; everything else is one line."""

    MAIN = "main"
    SURVEY = "survey"
    OPINION = "opinion"


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    track: Track
    status: StepStatus
    on: date | None  # the day it happened, or the planned day when scheduled; None if unknown

    @property
    def done(self) -> bool:
        return self.status is StepStatus.DONE


@dataclass(frozen=True)
class Extension:
    """延期通知: the legal 30 days are extended by a notice to the applicant."""

    notified_on: date
    reason: str
    expected_on: date | None


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]
    stage: str  # the current stage, a short Japanese label (a msgid)
    elapsed_days: int  # from the application to the decision or closure, else to today
    decided: bool  # 認定 given (the clock stopped on certified_on)
    closed: bool  # withdrawn or rejected (the clock stopped on closed_on)
    closure_label: str  # 取下げ / 却下, or ""
    closed_on: date | None
    extension: Extension | None
    past_legal_limit: bool  # more than 30 days elapsed
    overdue_without_extension: bool  # past the limit and no 延期通知 on file (open or decided late)

    @property
    def current_step(self) -> Step | None:
        """The first step not done yet (None when every step is done)."""
        return next((s for s in self.steps if not s.done), None)


@dataclass(frozen=True)
class _StepSpec:
    key: str
    label: str
    track: Track
    rank: int  # position on its track; main-track steps imply every earlier step done
    done_field: str
    scheduled_field: str = ""


_STEPS: tuple[_StepSpec, ...] = (
    _StepSpec("applied", gettext_noop("申請受付"), Track.MAIN, 0, "applied_on"),
    _StepSpec("survey_requested", gettext_noop("認定調査 依頼"), Track.SURVEY, 1, "survey_requested_on"),
    _StepSpec("survey_done", gettext_noop("認定調査 実施"), Track.SURVEY, 2, "survey_done_on", "survey_scheduled_on"),
    _StepSpec("opinion_requested", gettext_noop("主治医意見書 依頼"), Track.OPINION, 1, "opinion_requested_on"),
    _StepSpec("opinion_received", gettext_noop("主治医意見書 受領"), Track.OPINION, 2, "opinion_received_on"),
    _StepSpec("primary_judged", gettext_noop("一次判定"), Track.MAIN, 3, "primary_judged_on"),
    _StepSpec(
        "committee", gettext_noop("介護認定審査会"), Track.MAIN, 4, "committee_held_on", "committee_scheduled_on"
    ),
    _StepSpec("certified", gettext_noop("認定(二次判定)"), Track.MAIN, 5, "certified_on"),
    _StepSpec("result_sent", gettext_noop("結果通知 発送"), Track.MAIN, 6, "result_sent_on"),
)

CLOSURE_LABELS = {"withdrawn": gettext_noop("取下げ"), "rejected": gettext_noop("却下")}

STAGE_RESULT_SENT = gettext_noop("結果通知済み")
STAGE_CERTIFIED = gettext_noop("認定済み(結果通知の発送待ち)")
STAGE_COMMITTEE_HELD = gettext_noop("審査会開催済み(認定待ち)")
STAGE_COMMITTEE = gettext_noop("介護認定審査会待ち")
STAGE_PRIMARY = gettext_noop("一次判定待ち")
STAGE_SURVEY = gettext_noop("認定調査待ち")
STAGE_OPINION = gettext_noop("主治医意見書待ち")
STAGE_BOTH = gettext_noop("認定調査・主治医意見書待ち")


def _steps(case: CaseDates) -> tuple[Step, ...]:
    dated = {spec.key: getattr(case, spec.done_field) for spec in _STEPS}
    done = [spec for spec in _STEPS if dated[spec.key] is not None]
    steps = []
    for spec in _STEPS:
        on: date | None = dated[spec.key]
        if on is not None:
            status = StepStatus.DONE
        elif any(d.rank > spec.rank and d.track in (spec.track, Track.MAIN) for d in done):
            # A later step is on file, so this one happened even though its day was not recorded.
            status = StepStatus.DONE
        elif spec.scheduled_field and getattr(case, spec.scheduled_field) is not None:
            status, on = StepStatus.SCHEDULED, getattr(case, spec.scheduled_field)
        else:
            status = StepStatus.PENDING
        steps.append(Step(spec.key, spec.label, spec.track, status, on))
    return tuple(steps)


# The stage after the furthest main-track step on file, latest first.
_STAGE_AFTER = (
    ("result_sent", STAGE_RESULT_SENT),
    ("certified", STAGE_CERTIFIED),
    ("committee", STAGE_COMMITTEE_HELD),
    ("primary_judged", STAGE_COMMITTEE),
)
# Before 一次判定, by (survey done, opinion received).
_DOCUMENT_STAGE = {
    (True, True): STAGE_PRIMARY,
    (True, False): STAGE_OPINION,
    (False, True): STAGE_SURVEY,
    (False, False): STAGE_BOTH,
}


def _stage(steps: dict[str, Step], closure_label: str) -> str:
    if closure_label:
        return closure_label
    for key, label in _STAGE_AFTER:
        if steps[key].done:
            return label
    return _DOCUMENT_STAGE[steps["survey_done"].done, steps["opinion_received"].done]


def case_progress(case: CaseDates, *, today: date) -> Progress:
    """The steps of ``case`` in order with their status, its current stage and its clock."""
    steps = _steps(case)
    closure_label = CLOSURE_LABELS.get(case.closure, "")
    closed = bool(closure_label)
    decided = case.certified_on is not None and not closed
    if closed and case.closed_on is not None:
        end = case.closed_on
    elif decided and case.certified_on is not None:
        end = case.certified_on
    else:
        end = today
    elapsed = max((end - case.applied_on).days, 0)
    extension = None
    if case.extension_notified_on is not None:
        extension = Extension(case.extension_notified_on, case.extension_reason, case.extension_expected_on)
    past = elapsed > LEGAL_LIMIT_DAYS
    return Progress(
        steps=steps,
        stage=_stage({s.key: s for s in steps}, closure_label),
        elapsed_days=elapsed,
        decided=decided,
        closed=closed,
        closure_label=closure_label,
        closed_on=case.closed_on if closed else None,
        extension=extension,
        past_legal_limit=past,
        overdue_without_extension=past and extension is None and not closed,
    )
