"""Writes of checklists: an office admin starts, saves, signs or discards the office's
submission; an insurer admin sets the insurer's policy. Each runs in one transaction with its
audit event. Reminders are in ``reminders``, the PDF in ``pdf``.

Refusals are ``ValidationError`` with a Japanese message to show as it is; a refused write
changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from shinchoku.accounts.permissions import Permission
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record, audit_record_or_refuse
from shinchoku.checklists import selectors
from shinchoku.checklists.models import (
    NOTE_MAX_LENGTH,
    Answer,
    ChecklistItem,
    ChecklistPolicy,
    Choice,
    Submission,
    SubmissionStatus,
)
from shinchoku.checklists.validity import expiry_for
from shinchoku.offices.models import CareOffice

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


@dataclass(frozen=True)
class AnswerInput:
    choice: str  # a ``Choice`` value, or "" for not answered yet
    note: str = ""


def _require_office_admin(actor: User) -> int:
    """The actor's office id, if the actor may answer its checklist.

    Defence in depth: the views ask for the permission and find the draft through the office.
    """
    if not actor.can(Permission.CHECKLISTS_CHECKLIST_ANSWER) or actor.office_id is None:
        raise PermissionDenied
    return actor.office_id


def _own_draft_locked(actor: User, submission: Submission) -> Submission:
    """The submission re-read under a lock; refused unless it is still the office's draft."""
    _require_office_admin(actor)
    current = (
        Submission.objects.select_for_update()
        .select_related("version", "office")
        .filter(pk=submission.pk, office_id=actor.office_id)
        .first()
    )
    if current is None or current.status != SubmissionStatus.DRAFT:
        raise ValidationError(
            gettext(
                "この下書きはもうありません。この画面を開いた後に、ほかの管理者が署名または破棄した可能性があります。"
                "チェックリストの画面で最新の状態を確認してください。"
            ),
            code="stale",
        )
    return current


def _items_of(submission: Submission) -> list[ChecklistItem]:
    return list(
        ChecklistItem.objects.filter(section__version_id=submission.version_id)
        .select_related("section")
        .order_by("section__number", "number")
    )


def _clean_answers(items: list[ChecklistItem], answers: Mapping[int, AnswerInput]) -> dict[int, AnswerInput]:
    """The answers normalised (line ends, surrounding space), or ``ValidationError`` naming each
    bad item by its number."""
    by_id = {item.pk: item for item in items}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise ValidationError(
            gettext("この版にない項目への回答が含まれています。画面を開き直してください。"), code="unknown"
        )
    problems: list[str] = []
    cleaned: dict[int, AnswerInput] = {}
    for item_id, given in answers.items():
        label = by_id[item_id].label
        note = given.note.replace("\r\n", "\n").replace("\r", "\n").strip()
        if given.choice and given.choice not in Choice.values:
            problems.append(gettext("%(item)s: チェック結果を選び直してください。") % {"item": label})
        if len(note) > NOTE_MAX_LENGTH:
            problems.append(
                gettext("%(item)s: 補足は%(limit)d文字以内で書いてください(いま%(n)d文字)。")
                % {"item": label, "limit": NOTE_MAX_LENGTH, "n": len(note)}
            )
        cleaned[item_id] = AnswerInput(choice=given.choice, note=note)
    if problems:
        raise ValidationError(problems, code="invalid")
    return cleaned


def _write_answers(submission: Submission, answers: dict[int, AnswerInput]) -> int:
    """Upserts the given answers; returns how many rows changed."""
    existing = {a.item_id: a for a in Answer.objects.filter(submission=submission)}
    changed = 0
    for item_id, given in answers.items():
        row = existing.get(item_id)
        if row is None:
            if given.choice or given.note:
                Answer.objects.create(submission=submission, item_id=item_id, choice=given.choice, note=given.note)
                changed += 1
        elif (row.choice, row.note) != (given.choice, given.note):
            row.choice, row.note = given.choice, given.note
            row.save(update_fields=["choice", "note"])
            changed += 1
    return changed


def _answered(submission: Submission) -> int:
    return Answer.objects.filter(submission=submission).exclude(choice="").count()


def missing_message(labels: list[str]) -> str:
    return ngettext(
        "未回答の項目が%(n)d項目あります: %(items)s。すべての項目に回答してから署名してください。",
        "未回答の項目が%(n)d項目あります: %(items)s。すべての項目に回答してから署名してください。",
        len(labels),
    ) % {"n": len(labels), "items": "、".join(labels)}


# -- the office admin ---------------------------------------------------------------------------


@transaction.atomic
def submission_start(*, actor: User, copy_previous: bool, request: HttpRequest | None = None) -> Submission:
    """A new draft of the current version for the actor's office, optionally with the answers of
    its latest signed submission (items whose text is unchanged keep their answer and note)."""
    office_id = _require_office_admin(actor)
    version = selectors.current_version()
    if version is None:
        raise ValidationError(
            gettext("チェックリストの版が登録されていません。運用担当者に連絡してください。"), code="no_version"
        )
    # The office row serialises two admins pressing "start" at once.
    office = CareOffice.objects.select_for_update().get(pk=office_id)
    if Submission.objects.filter(office=office, status=SubmissionStatus.DRAFT).exists():
        raise ValidationError(
            gettext("回答中の下書きがすでにあります。その下書きの続きから回答してください。"), code="draft_exists"
        )
    submission = Submission.objects.create(office=office, version=version, started_by=actor)
    copied = 0
    previous = selectors.latest_signed_for_office(office.pk) if copy_previous else None
    if previous is not None:
        by_text = {
            a.item.text: a for a in Answer.objects.filter(submission=previous).select_related("item").exclude(choice="")
        }
        rows = [
            Answer(submission=submission, item=item, choice=by_text[item.text].choice, note=by_text[item.text].note)
            for item in _items_of(submission)
            if item.text in by_text
        ]
        Answer.objects.bulk_create(rows)
        copied = len(rows)
    audit_record(
        event_type=EventType.CHECKLISTS_SUBMISSION_STARTED,
        actor=actor,
        request=request,
        office=office,
        target=submission,
        details={"version": version.code, "copied_from": previous.pk if previous else None, "copied": copied},
    )
    return submission


@transaction.atomic
def submission_save_draft(
    *, actor: User, submission: Submission, answers: Mapping[int, AnswerInput], request: HttpRequest | None = None
) -> Submission:
    """Saves the answers given (all or some) to the office's draft; audited when anything changed."""
    draft = _own_draft_locked(actor, submission)
    items = _items_of(draft)
    changed = _write_answers(draft, _clean_answers(items, answers))
    if changed:
        draft.save(update_fields=["updated_at"])
        audit_record(
            event_type=EventType.CHECKLISTS_SUBMISSION_SAVED,
            actor=actor,
            request=request,
            target=draft,
            details={"version": draft.version.code, "answered": _answered(draft), "items": len(items)},
        )
    return draft


@transaction.atomic
def submission_sign(
    *,
    actor: User,
    submission: Submission,
    answers: Mapping[int, AnswerInput],
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Submission:
    """Saves the answers and signs the draft as the actor: valid for 12 months from now.

    Every item needs its チェック結果; otherwise ``ValidationError`` lists the missing items by
    number and nothing is saved.
    """
    draft = _own_draft_locked(actor, submission)
    items = _items_of(draft)
    cleaned = _clean_answers(items, answers)
    saved = {a.item_id: a.choice for a in Answer.objects.filter(submission=draft)}
    choices = {item.pk: cleaned[item.pk].choice if item.pk in cleaned else saved.get(item.pk, "") for item in items}
    missing = [item.label for item in items if not choices[item.pk]]
    if missing:
        raise ValidationError(missing_message(missing), code="incomplete")
    _write_answers(draft, cleaned)
    signed_at = now or timezone.now()
    draft.status = SubmissionStatus.SIGNED
    draft.signed_by = actor
    draft.signed_by_name = actor.display_name
    draft.signed_at = signed_at
    draft.expires_at = expiry_for(signed_at)
    draft.save(update_fields=["status", "signed_by", "signed_by_name", "signed_at", "expires_at", "updated_at"])
    counts = Counter(choices.values())
    audit_record(
        event_type=EventType.CHECKLISTS_SUBMISSION_SIGNED,
        actor=actor,
        request=request,
        target=draft,
        details={
            "version": draft.version.code,
            "expires_at": draft.expires_at.isoformat(),
            "answers": {choice.value: counts.get(choice.value, 0) for choice in Choice},
        },
    )
    return draft


@transaction.atomic
def submission_discard(*, actor: User, submission: Submission, request: HttpRequest | None = None) -> None:
    """Deletes the office's draft and its answers (a signed submission is never deleted)."""
    draft = _own_draft_locked(actor, submission)
    answered = _answered(draft)
    audit_record(
        event_type=EventType.CHECKLISTS_SUBMISSION_DISCARDED,
        actor=actor,
        request=request,
        target=draft,
        details={"version": draft.version.code, "answered": answered},
    )
    draft.delete()


def submission_pdf(*, actor: User, submission: Submission, request: HttpRequest | None = None) -> bytes:
    """The signed submission as a PDF, recorded as downloaded: a copy leaves the service with the
    signer's name on it. Refused (``AuditUnavailable``) when the record cannot be written."""
    # Imported here: WeasyPrint loads pango and its fonts, which only this download needs.
    from shinchoku.checklists.pdf import render_submission  # noqa: PLC0415

    _require_office_admin(actor)
    if not submission.is_signed or submission.office_id != actor.office_id:
        raise PermissionDenied
    with transaction.atomic():
        generated_at = timezone.now()
        content = render_submission(submission, generated_at=generated_at)
        audit_record_or_refuse(
            event_type=EventType.CHECKLISTS_SUBMISSION_DOWNLOADED,
            actor=actor,
            request=request,
            target=submission,
            details={"version": submission.version.code, "bytes": len(content)},
        )
    return content


# -- the insurer admin --------------------------------------------------------------------------


@transaction.atomic
def policy_set(
    *,
    actor: User,
    require_for_approval: bool,
    require_for_lookup: bool,
    request: HttpRequest | None = None,
) -> ChecklistPolicy:
    """Sets what the actor's insurer requires; takes effect on the next approval or lookup."""
    if not actor.can(Permission.CHECKLISTS_POLICY_MANAGE) or actor.insurer is None:
        raise PermissionDenied
    policy, _ = ChecklistPolicy.objects.select_for_update().get_or_create(insurer=actor.insurer)
    wanted = {"require_for_approval": require_for_approval, "require_for_lookup": require_for_lookup}
    changed = {
        field: [getattr(policy, field), value] for field, value in wanted.items() if getattr(policy, field) != value
    }
    if changed:
        for field, value in wanted.items():
            setattr(policy, field, value)
        policy.save()
        audit_record(
            event_type=EventType.CHECKLISTS_POLICY_UPDATED,
            actor=actor,
            request=request,
            target=policy,
            details={"changed": changed},
        )
    return policy
