"""Writing audit events. Call ``audit_record`` inside the transaction of the change it records."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from shinchoku.audit.chain import compute_hash
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice
from shinchoku.web.http import client_ip

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from shinchoku.accounts.models import User


class AuditUnavailable(RuntimeError):
    """The audit trail could not be written, so what was to be shown or done must not be.

    Raised by ``audit_record_or_refuse``; the web layer answers 503 (``web.middleware``).
    """


def chain_name(*, insurer: Insurer | None, office: CareOffice | None, stripe: int) -> str:
    if insurer is not None:
        return f"insurer:{insurer.pk}:{stripe}"
    if office is not None:
        return f"office:{office.pk}:{stripe}"
    return f"platform:{stripe}"


def _lock_head(chain: str) -> AuditChainHead:
    """The head row, locked until the surrounding transaction ends (created on first use).

    A chain that has rows but no head lost its head row (heads are mutable by design, so only
    someone with database access can do that). The head is rebuilt from the chain's last row
    so that auditing, and with it every audited action, keeps working; verification against
    a seal still shows any rows that went missing with it.
    """
    try:
        return AuditChainHead.objects.select_for_update().get(chain=chain)
    except AuditChainHead.DoesNotExist:
        last = AuditEvent.objects.filter(chain=chain).order_by("-seq").values_list("seq", "hash").first()
        if last is not None:
            logger.warning("audit chain %s had no head row; rebuilt from its last row (seq %s)", chain, last[0])
        try:
            with transaction.atomic():
                if last is None:
                    AuditChainHead.objects.create(chain=chain)
                else:
                    AuditChainHead.objects.create(chain=chain, last_seq=last[0], last_hash=last[1])
        except IntegrityError:
            pass  # another writer created it first; lock theirs
        return AuditChainHead.objects.select_for_update().get(chain=chain)


def _normalise_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return None


# No savepoint when the caller already runs a transaction (it nearly always does: the event
# belongs to the change or read it records). A failure then rolls back the caller's whole
# transaction, which is what every caller wants; alone, it still runs atomically.
@transaction.atomic(savepoint=False)
def audit_record(
    *,
    event_type: EventType,
    actor: User | None = None,
    request: HttpRequest | None = None,
    insurer: Insurer | None = None,
    office: CareOffice | None = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event to its tenant's chain.

    Without an explicit tenant the actor's own insurer or office is used. Raises on any
    failure, so the surrounding transaction (and whatever it was about to show) rolls back.
    """
    if actor is not None:
        insurer = insurer if insurer is not None else actor.insurer
        office = office if office is not None else actor.office
        actor_label = actor_label or actor.email
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)

    stripe = secrets.randbelow(settings.AUDIT_CHAIN_STRIPES)
    head = _lock_head(chain_name(insurer=insurer, office=office, stripe=stripe))
    event = AuditEvent(
        chain=head.chain,
        seq=head.last_seq + 1,
        occurred_at=timezone.now(),
        event_type=event_type,
        outcome=outcome,
        actor=actor,
        actor_label=actor_label[:254],
        insurer=insurer,
        office=office,
        ip=_normalise_ip(client_ip(request)) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        key_id=settings.AUDIT_KEYRING.active_kid,
        prev_hash=head.last_hash,
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=event.seq, last_hash=event.hash)
    return event


def audit_record_or_refuse(**kwargs: Any) -> AuditEvent:
    """``audit_record`` for reads that must not be served unrecorded (DESIGN T8, fail closed):
    any failure becomes ``AuditUnavailable``, which rolls back the caller's transaction."""
    try:
        return audit_record(**kwargs)
    except Exception as exc:
        logger.exception("audit write failed; the request is refused")
        raise AuditUnavailable from exc
