"""Form helpers shared by several apps."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext as _

from shinchoku.lib.eras import DateFormatError, parse_date


def picked_or_typed_date(form: forms.Form, picked_field: str, typed_field: str) -> tuple[bool, date | None]:
    """The date given by a calendar box (``<input type=date>``, ISO) or a text box (西暦 or 和暦
    in any of the forms ``lib.eras`` reads), whichever was filled; both blank gives None.

    Returns False after adding an error to ``form`` when a box is unreadable or the two boxes
    disagree. Call it from ``clean()``, after the two fields were cleaned as plain text.
    """
    parsed: list[date | None] = []
    for name in (picked_field, typed_field):
        raw = str(form.cleaned_data.get(name) or "").strip()
        if not raw:
            continue
        try:
            parsed.append(parse_date(raw))
        except DateFormatError as exc:
            form.add_error(name, str(exc))
            return False, None
    if len(parsed) == 2 and parsed[0] != parsed[1]:
        form.add_error(typed_field, _("カレンダーと文字で違う日付が入力されています。どちらか一方にしてください。"))
        return False, None
    return True, parsed[0] if parsed else None
