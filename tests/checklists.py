"""Checklist submissions for tests, made through the services as an office admin would."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps

from shinchoku.accounts.models import User
from shinchoku.checklists import selectors
from shinchoku.checklists.catalogue import install_versions
from shinchoku.checklists.models import ChecklistItem, Choice, Submission
from shinchoku.checklists.services import AnswerInput, submission_sign, submission_start


def ensure_versions() -> None:
    """The versions the data migration loads; again, since a transactional test's flush empties them."""
    install_versions(apps)


def all_answered(submission: Submission, choice: Choice = Choice.DONE) -> dict[int, AnswerInput]:
    items = ChecklistItem.objects.filter(section__version_id=submission.version_id)
    return {item.pk: AnswerInput(choice=choice) for item in items}


def sign_checklist(admin: User, *, now: datetime | None = None, choice: Choice = Choice.DONE) -> Submission:
    """A checklist of ``admin``'s office, every item answered ``choice``, signed at ``now``."""
    ensure_versions()
    draft = selectors.draft_for_actor(admin) or submission_start(actor=admin, copy_previous=False)
    return submission_sign(actor=admin, submission=draft, answers=all_answered(draft, choice), now=now)
