"""Staff actions on cases: searching and viewing (audited reads) and correcting a milestone.

Every function here writes its audit event in the same transaction as what it does, so a case
is never shown or changed without a record of it (DESIGN T3, T8). The 被保険者番号 never enters
an audit event: searches record the first characters of the keyed blind index instead.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from shinchoku.accounts.permissions import Permission
from shinchoku.audit.events import EventType
from shinchoku.audit.services import audit_record
from shinchoku.cases import selectors
from shinchoku.cases.codes import Source
from shinchoku.cases.identity import insured_index
from shinchoku.cases.importing.columns import COLUMN_BY_FIELD, COLUMNS, header_key
from shinchoku.cases.importing.digest import content_digest
from shinchoku.cases.importing.rows import MAX_TEXT, PAST_ONLY_FIELDS, RECORD_FIELDS
from shinchoku.cases.models import MILESTONE_FIELDS, Case, ColumnMapping
from shinchoku.insurers.models import Insurer

if TYPE_CHECKING:
    from shinchoku.accounts.models import User

AUDIT_INDEX_PREFIX = 12  # enough to tell searches apart in the trail, useless for finding a person

# What staff may correct: the milestone dates and the reason of a 延期通知, in the order of the
# process. Not 申請日 or 申請区分: with the number they identify the application, and the next
# import would then see a different case.
CORRECTABLE_FIELDS: tuple[str, ...] = (
    *MILESTONE_FIELDS[: MILESTONE_FIELDS.index("extension_notified_on") + 1],
    "extension_reason",
    *MILESTONE_FIELDS[MILESTONE_FIELDS.index("extension_notified_on") + 1 :],
)
TEXT_FIELDS = frozenset({"extension_reason"})
_NOT_BEFORE_APPLICATION = frozenset({"certified_on", "result_sent_on", "closed_on"})


def field_label(name: str) -> str:
    """The Japanese name of a case field, as the model gives it."""
    return str(getattr(Case._meta.get_field(name), "verbose_name", name))


class CorrectionError(ValueError):
    """The new value cannot be accepted; the message is Japanese and safe to show."""


def case_content_digest(case: Case) -> str:
    """The digest the importer computes for the same facts (the number is not part of it)."""
    return content_digest(("", *(getattr(case, name) for name in RECORD_FIELDS[1:])))


@transaction.atomic
def cases_search(*, actor: User, insured_number: str, request: HttpRequest | None = None) -> list[Case]:
    """The actor's insurer's applications of one insured person, newest application first."""
    if actor.insurer is None:
        raise Http404
    found = list(selectors.cases_by_insured_number(actor, insured_number).order_by("-applied_on", "-pk"))
    index = insured_index(actor.insurer.number, insured_number)
    audit_record(
        event_type=EventType.CASES_CASE_SEARCHED,
        actor=actor,
        request=request,
        details={"index": index[:AUDIT_INDEX_PREFIX], "matches": len(found)},
    )
    return found


@transaction.atomic
def case_view(*, actor: User, case_id: int, request: HttpRequest | None = None, page: str = "detail") -> Case:
    """One case of the actor's insurer (404 otherwise), recorded as viewed."""
    case = selectors.case_for_actor(actor, case_id)
    audit_record(
        event_type=EventType.CASES_CASE_VIEWED,
        actor=actor,
        request=request,
        target=case,
        details={"page": page},
    )
    return case


def normalise_text(value: str) -> str:
    """As the importer reads text cells (NFKC, trimmed), so digests agree."""
    return unicodedata.normalize("NFKC", value).strip()


def _text_problem(value: date | str | None) -> str | None:
    if not isinstance(value, str | None):
        return _("文字で入力してください。")
    if len(value or "") > MAX_TEXT:
        return _("%(max)d文字以内にしてください。") % {"max": MAX_TEXT}
    return None


def _date_problem(case: Case, field: str, value: date | str | None, today: date) -> str | None:
    if isinstance(value, str):
        return _("日付を入力してください。")
    if value is None:
        if field == "closed_on" and case.closure:
            return _("取下げ・却下の申請なので、取下げ・却下日は空欄にできません。")
        return None
    problem = None
    if field in PAST_ONLY_FIELDS and value > today:
        problem = _("まだ来ていない日付です。")
    elif field in _NOT_BEFORE_APPLICATION and value < case.applied_on:
        problem = _("申請日より前の日付です。")
    elif field == "closed_on" and not case.closure:
        problem = _("取下げ・却下の区分がない申請には、取下げ・却下日を入れられません。")
    return problem


def correction_problem(case: Case, field: str, value: date | str | None, *, today: date) -> str | None:
    """Why ``value`` cannot be written to ``field`` (the importer's rules), or None."""
    if field not in CORRECTABLE_FIELDS:
        return _("訂正できない項目です。")
    problem = _text_problem(value) if field in TEXT_FIELDS else _date_problem(case, field, value, today)
    if problem is None and (value or None) == (getattr(case, field) or None):
        problem = _("今の値と同じです。")
    return problem


def _audit_value(value: object) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return str(value) if value else None


@transaction.atomic
def case_correct(
    *,
    actor: User,
    case: Case,
    field: str,
    value: date | str | None,
    reason: str,
    request: HttpRequest | None = None,
) -> Case:
    """Sets one milestone (or the extension reason) by hand; the next import restores the
    municipal system's value unless that system was corrected too (the digest now differs)."""
    reason = reason.strip()
    if not reason:
        raise CorrectionError(_("訂正の理由を入力してください。"))
    locked = selectors.cases_for_actor(actor).select_for_update(of=("self",)).filter(pk=case.pk).first()
    if locked is None:
        raise Http404
    if field in TEXT_FIELDS and isinstance(value, str | None):
        value = normalise_text(value or "")
    problem = correction_problem(locked, field, value, today=timezone.localdate())
    if problem is not None:
        raise CorrectionError(problem)
    before = getattr(locked, field)
    setattr(locked, field, value)
    locked.source = Source.STAFF
    locked.updated_at = timezone.now()
    locked.content_digest = case_content_digest(locked)
    locked.save(update_fields=[field, "source", "updated_at", "content_digest"])
    audit_record(
        event_type=EventType.CASES_CASE_CORRECTED,
        actor=actor,
        request=request,
        target=locked,
        details={"field": field, "from": _audit_value(before), "to": _audit_value(value), "reason": reason},
    )
    return locked


# --- Column mappings: an insurer's own header names for the import file ------------------------

MAX_HEADER_LENGTH = ColumnMapping._meta.get_field("header").max_length or 100


class ColumnMappingError(ValueError):
    """The alias cannot be added; ``message`` is Japanese and safe to show, ``field`` the form
    field it belongs next to ("field" or "header")."""

    def __init__(self, message: str, *, field: str = "header") -> None:
        super().__init__(message)
        self.field = field


def _builtin_owners() -> dict[str, str]:
    """Every built-in name (canonical header, field name, alias) in header_key form → its field,
    first one winning as in ``resolve_header``."""
    owners: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, column.field, *column.aliases):
            owners.setdefault(header_key(name), column.field)
    return owners


def _check_column_mapping(insurer: Insurer, field: str, header: str) -> None:
    """Raises ``ColumnMappingError`` when the importer could not read ``header`` as ``field`` alone."""
    if field not in COLUMN_BY_FIELD:
        raise ColumnMappingError(_("項目を一覧から選んでください。"), field="field")
    if not header:
        raise ColumnMappingError(_("列名を入力してください。"))
    if len(header) > MAX_HEADER_LENGTH:
        raise ColumnMappingError(_("列名は%(max)d文字以内にしてください。") % {"max": MAX_HEADER_LENGTH})
    key = header_key(header)
    if not key:
        raise ColumnMappingError(_("空白や記号だけの列名は登録できません。"))
    owner = _builtin_owners().get(key)
    if owner is not None:
        names = {"header": header, "column": COLUMN_BY_FIELD[owner].header}
        if owner == field:
            raise ColumnMappingError(
                _("「%(header)s」は「%(column)s」の列名として最初から読み取れます。登録は不要です。") % names
            )
        raise ColumnMappingError(
            _("「%(header)s」は「%(column)s」の列名として使われているため、ほかの項目には登録できません。") % names
        )
    for existing in ColumnMapping.objects.filter(insurer=insurer):
        if header_key(existing.header) == key:
            column = COLUMN_BY_FIELD[existing.field].header if existing.field in COLUMN_BY_FIELD else existing.field
            raise ColumnMappingError(
                _("「%(header)s」は「%(column)s」の列名として登録済みです。")
                % {"header": existing.header, "column": column}
            )


@transaction.atomic
def column_mapping_add(
    *, actor: User, insurer: Insurer, field: str, header: str, request: HttpRequest | None = None
) -> ColumnMapping:
    """Lets the importer read ``header`` as ``field`` in this insurer's files.

    Headers are compared as the importer compares them (``header_key``), so an alias may not
    shadow a built-in name of another field, which would silently move a column.
    """
    if not actor.can(Permission.INSURERS_POLICY_MANAGE) or actor.insurer_id != insurer.pk:
        raise PermissionDenied
    # One add at a time per insurer, so two near-identical aliases cannot both pass the check.
    Insurer.objects.select_for_update().get(pk=insurer.pk)
    header = header.strip()
    _check_column_mapping(insurer, field, header)
    mapping = ColumnMapping.objects.create(insurer=insurer, field=field, header=header)
    audit_record(
        event_type=EventType.CASES_COLUMN_MAPPING_ADDED,
        actor=actor,
        request=request,
        insurer=insurer,
        target=mapping,
        details={"field": field, "header": header},
    )
    return mapping


@transaction.atomic
def column_mapping_delete(*, actor: User, mapping: ColumnMapping, request: HttpRequest | None = None) -> None:
    """The importer stops reading the alias; files that use it need another header again."""
    locked = selectors.column_mappings_for_actor(actor).select_for_update().filter(pk=mapping.pk).first()
    if locked is None:
        raise Http404
    insurer, mapping_id, field, header = locked.insurer, locked.pk, locked.field, locked.header
    locked.delete()
    audit_record(
        event_type=EventType.CASES_COLUMN_MAPPING_REMOVED,
        actor=actor,
        request=request,
        insurer=insurer,
        target_type=ColumnMapping._meta.label_lower,
        target_id=str(mapping_id),
        details={"field": field, "header": header},
    )
