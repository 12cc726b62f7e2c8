"""Reads of checklists, scoped to the actor: an office admin sees their own office's
submissions, an insurer's admins and auditors the signed ones of the offices that applied to
their insurer (an ``OfficeApproval`` row in any status). Anything else is not found (404).

"Current" means signed and not expired: the gates of approval and lookup ask
``office_has_current_checklist``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shinchoku.accounts.permissions import Permission
from shinchoku.checklists.models import (
    Answer,
    ChecklistItem,
    ChecklistPolicy,
    ChecklistSection,
    ChecklistVersion,
    Submission,
    SubmissionStatus,
)
from shinchoku.checklists.validity import REMIND_BEFORE, valid_until
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice, OfficeApproval

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


# -- versions -----------------------------------------------------------------------------------


def current_version() -> ChecklistVersion | None:
    """The version new submissions answer: the newest loaded."""
    return ChecklistVersion.objects.order_by("-code").first()


def sections_of(version: ChecklistVersion) -> list[ChecklistSection]:
    """The version's sections with their items, in order, in two queries."""
    items = ChecklistItem.objects.select_related("section").order_by("number")
    return list(version.sections.order_by("number").prefetch_related(Prefetch("items", queryset=items)))


# -- status -------------------------------------------------------------------------------------


class State(enum.Enum):
    NONE = "none"
    DRAFT = "draft"
    VALID = "valid"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    State.NONE: _("未提出"),
    State.DRAFT: _("下書き"),
    State.VALID: _("有効"),
    State.EXPIRED: _("期限切れ"),
}


@dataclass(frozen=True)
class Status:
    """An office's checklist as others see it: the state, the latest signed submission's dates,
    and whether a draft is under way (its answers stay the office's until signed)."""

    state: State
    signed_at: datetime | None = None
    expires_at: datetime | None = None
    latest_signed_id: int | None = None
    has_draft: bool = False
    expiring_soon: bool = False  # valid, and the reminder period has begun

    @property
    def is_current(self) -> bool:
        return self.state is State.VALID

    @property
    def valid_until(self) -> date | None:
        return valid_until(self.expires_at) if self.expires_at is not None else None


def status_from(
    *, signed_at: datetime | None, expires_at: datetime | None, latest_id: int | None, has_draft: bool, now: datetime
) -> Status:
    if expires_at is None:
        return Status(State.DRAFT if has_draft else State.NONE, has_draft=has_draft)
    state = State.VALID if now < expires_at else State.EXPIRED
    return Status(
        state,
        signed_at=signed_at,
        expires_at=expires_at,
        latest_signed_id=latest_id,
        has_draft=has_draft,
        expiring_soon=state is State.VALID and now >= expires_at - REMIND_BEFORE,
    )


def _signed(office_ref: int | OuterRef) -> QuerySet[Submission]:
    return Submission.objects.filter(office_id=office_ref, status=SubmissionStatus.SIGNED).order_by("-signed_at", "-pk")


def with_checklist_status(offices: QuerySet[CareOffice]) -> QuerySet[CareOffice]:
    """Annotates each office with its latest signed submission and whether a draft exists (one query)."""
    latest = _signed(OuterRef("pk"))
    return offices.annotate(
        checklist_latest_id=Subquery(latest.values("pk")[:1]),
        checklist_signed_at=Subquery(latest.values("signed_at")[:1]),
        checklist_expires_at=Subquery(latest.values("expires_at")[:1]),
        checklist_has_draft=Exists(Submission.objects.filter(office_id=OuterRef("pk"), status=SubmissionStatus.DRAFT)),
    )


def status_of_annotated(row: object, *, now: datetime | None = None) -> Status:
    """The status of an office (or approval) row read with the ``checklist_*`` annotations."""
    return status_from(
        signed_at=getattr(row, "checklist_signed_at"),  # noqa: B009 - annotations unknown to the type checker
        expires_at=getattr(row, "checklist_expires_at"),  # noqa: B009
        latest_id=getattr(row, "checklist_latest_id"),  # noqa: B009
        has_draft=getattr(row, "checklist_has_draft"),  # noqa: B009
        now=now or timezone.now(),
    )


def office_checklist_status(office: CareOffice | int, *, now: datetime | None = None) -> Status:
    office_id = office if isinstance(office, int) else office.pk
    annotated = with_checklist_status(CareOffice.objects.filter(pk=office_id)).get()
    return status_of_annotated(annotated, now=now)


def _current(office_id: int, now: datetime | None) -> QuerySet[Submission]:
    """The office's signed submissions that have not expired: what "current" means."""
    return Submission.objects.filter(
        office_id=office_id, status=SubmissionStatus.SIGNED, expires_at__gt=now or timezone.now()
    )


def office_has_current_checklist(office: CareOffice | int, *, now: datetime | None = None) -> bool:
    """Whether the office has a signed checklist that has not expired (one query)."""
    office_id = office if isinstance(office, int) else office.pk
    return _current(office_id, now).only("pk").exists()


# -- the insurers' requirements -----------------------------------------------------------------


def policy_of(insurer: Insurer) -> ChecklistPolicy:
    """The insurer's policy (an unsaved one requiring nothing when never set)."""
    return ChecklistPolicy.objects.filter(insurer=insurer).first() or ChecklistPolicy(insurer=insurer)


def requires_checklist_for_approval(insurer: Insurer) -> bool:
    return ChecklistPolicy.objects.filter(insurer=insurer, require_for_approval=True).exists()


def with_lookup_gate(insurers: QuerySet[Insurer], office_id: int, *, now: datetime | None = None) -> QuerySet[Insurer]:
    """``insurers`` annotated ``lookup_withheld``: the insurer requires a current checklist
    before lookups and the office has none. Part of the same query, so the lookup pays no
    statement of its own for the gate."""
    requires = ChecklistPolicy.objects.filter(insurer=OuterRef("pk"), require_for_lookup=True)
    return insurers.annotate(
        lookup_withheld=ExpressionWrapper(
            Exists(requires) & ~Exists(_current(office_id, now)), output_field=BooleanField()
        )
    )


def policies_for_office(office: CareOffice) -> list[tuple[Insurer, ChecklistPolicy]]:
    """Each insurer the office applied to, with what it requires (for the office's own page)."""
    approvals = OfficeApproval.objects.filter(office=office).select_related("insurer").order_by("insurer__number")
    policies = {p.insurer_id: p for p in ChecklistPolicy.objects.filter(insurer__office_approvals__office=office)}
    return [(a.insurer, policies.get(a.insurer_id) or ChecklistPolicy(insurer=a.insurer)) for a in approvals]


# -- the office's own submissions (office admins) -----------------------------------------------


def _own(actor: User) -> QuerySet[Submission]:
    if not actor.can(Permission.CHECKLISTS_CHECKLIST_ANSWER) or actor.office_id is None:
        return Submission.objects.none()
    return Submission.objects.filter(office_id=actor.office_id).select_related("version", "office")


def draft_for_actor(actor: User) -> Submission | None:
    """The actor's office's draft, if one is under way."""
    return _own(actor).filter(status=SubmissionStatus.DRAFT).first()


def signed_submissions_for_actor(actor: User) -> QuerySet[Submission]:
    """The office's signed submissions, newest first: its history."""
    return _own(actor).filter(status=SubmissionStatus.SIGNED).order_by("-signed_at", "-pk")


def signed_submission_for_actor(actor: User, submission_id: int) -> Submission:
    try:
        return signed_submissions_for_actor(actor).get(pk=submission_id)
    except Submission.DoesNotExist:
        raise Http404 from None


def latest_signed_for_office(office_id: int) -> Submission | None:
    return _signed(office_id).select_related("version").first()


def draft_progress(draft: Submission) -> tuple[int, int]:
    """(items answered, items of the version) of a draft."""
    answered = draft.answers.exclude(choice="").count()
    return answered, ChecklistItem.objects.filter(section__version_id=draft.version_id).count()


def answers_by_item(submission: Submission) -> dict[int, Answer]:
    return {a.item_id: a for a in submission.answers.all()}


# -- what the insurers see (admins and auditors) ------------------------------------------------


def approvals_with_status_for_actor(actor: User) -> QuerySet[OfficeApproval]:
    """The offices that applied to the actor's insurer (any approval status), with their
    checklist status, by office number."""
    if not actor.can(Permission.CHECKLISTS_STATUS_READ) or actor.insurer_id is None:
        return OfficeApproval.objects.none()
    latest = _signed(OuterRef("office_id"))
    return (
        OfficeApproval.objects.filter(insurer_id=actor.insurer_id)
        .select_related("office")
        .annotate(
            checklist_latest_id=Subquery(latest.values("pk")[:1]),
            checklist_signed_at=Subquery(latest.values("signed_at")[:1]),
            checklist_expires_at=Subquery(latest.values("expires_at")[:1]),
            checklist_has_draft=Exists(
                Submission.objects.filter(office_id=OuterRef("office_id"), status=SubmissionStatus.DRAFT)
            ),
        )
        .order_by("office__number")
    )


def insurer_submissions_for_actor(actor: User) -> QuerySet[Submission]:
    """Signed submissions of the offices linked to the actor's insurer; drafts stay the office's."""
    if not actor.can(Permission.CHECKLISTS_STATUS_READ) or actor.insurer_id is None:
        return Submission.objects.none()
    return Submission.objects.filter(
        status=SubmissionStatus.SIGNED,
        office__approvals__insurer_id=actor.insurer_id,
    ).select_related("version", "office")


def insurer_submission_for_actor(actor: User, submission_id: int) -> Submission:
    try:
        return insurer_submissions_for_actor(actor).get(pk=submission_id)
    except Submission.DoesNotExist:
        raise Http404 from None
