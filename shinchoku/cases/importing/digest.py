"""The content digest of a case: what an import compares to tell "updated" from "unchanged".

Shared by the importer (over parsed rows) and staff corrections (over a stored case), so that a
corrected case differs from the municipal file until the next import restores the source's truth.
Plain Python, no Django.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from shinchoku.cases.importing.rows import RECORD_FIELDS

# Everything but the number itself (never hash an identifier unkeyed), in RECORD_FIELDS order.
DIGEST_FIELDS: tuple[str, ...] = RECORD_FIELDS[1:]


def content_digest(record: Sequence[object]) -> str:
    """SHA-256 over a record in ``RECORD_FIELDS`` order (its first item, the number, is ignored)."""
    # Values are str, date or None; str() of a date is its ISO form. Written as one expression
    # because the importer calls it once per row.
    text = "\x1f".join(["" if value is None else str(value) for value in record[1:]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
