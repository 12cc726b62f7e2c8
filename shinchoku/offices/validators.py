from __future__ import annotations

from django.core.exceptions import ValidationError

from shinchoku.lib.identifiers import IdentifierError, check_office_number


def validate_office_number(value: str) -> None:
    """Rejects a malformed number; a check-digit mismatch is only a warning (see lib.identifiers)."""
    try:
        check_office_number(value)
    except IdentifierError as exc:
        raise ValidationError(str(exc), code="invalid") from exc
