"""Signals the cases app sends, so that other apps can react without the cases app knowing them."""

from __future__ import annotations

import django.dispatch

import_merged = django.dispatch.Signal()
"""An import merged its rows into ``cases_case``: sent with ``run`` (the ImportRun, status
succeeded) inside the import's transaction, right after the merge, never for a dry run or a
rejected file. Created and changed cases are then exactly ``Case.objects.filter(last_import=run)``.

Receivers run inside that transaction: anything that must not happen when the import rolls
back afterwards (its audit event can still fail) belongs in ``transaction.on_commit``; an
exception raised by a receiver rolls the import back.
"""
