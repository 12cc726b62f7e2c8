"""The lookup app's reactions to other apps' signals; they only schedule, the work is elsewhere."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from shinchoku.cases.models import ImportRun
from shinchoku.lookup.notifications import notify_followers


def on_import_merged(sender: type[ImportRun], *, run: ImportRun, **kwargs: Any) -> None:
    """Followers hear of an import once it has committed; nothing is sent if it rolls back."""
    transaction.on_commit(partial(notify_followers, run.pk))
