"""The audit trail: append-only, hash-chained rows (DESIGN T8).

Rows are spread over several chains per tenant ("stripes") so that concurrent requests of one
insurer do not all queue on a single chain head; each chain is verified on its own. UPDATE and
DELETE on ``audit_auditevent`` are refused by database triggers (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.audit.events import EventType, Outcome
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice

GENESIS_HASH = "0" * 64


class AuditChainHead(models.Model):
    """The tip of one chain: serialises writers of that chain and pins its last link."""

    chain = models.CharField(max_length=40, unique=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.chain}#{self.last_seq}"


class AuditEvent(models.Model):
    chain = models.CharField(_("チェーン"), max_length=40)
    seq = models.BigIntegerField(_("連番"))
    occurred_at = models.DateTimeField(_("日時"), db_index=True)
    # No ``choices`` on these two: the enums grow with every feature, and choices would make
    # each new event type a schema migration of the largest table. Labels come from the enums.
    event_type = models.CharField(_("種別"), max_length=64)
    outcome = models.CharField(_("結果"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作者"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The login ID at the time, so the row still reads right after the account changes.
    actor_label = models.CharField(_("操作者ID"), max_length=254, blank=True)
    insurer = models.ForeignKey(Insurer, null=True, on_delete=models.PROTECT, related_name="+")
    office = models.ForeignKey(CareOffice, null=True, on_delete=models.PROTECT, related_name="+")
    ip = models.GenericIPAddressField(_("IPアドレス"), null=True)
    user_agent = models.CharField(_("ブラウザー"), max_length=300, blank=True)
    target_type = models.CharField(_("対象の種類"), max_length=40, blank=True)
    target_id = models.CharField(_("対象"), max_length=64, blank=True)
    details = models.JSONField(_("詳細"), default=dict)
    key_id = models.CharField(max_length=16)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("監査イベント")
        verbose_name_plural = pgettext_lazy("plural", "監査イベント")
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq_unique")]
        indexes = [
            models.Index(fields=["insurer", "-occurred_at"], name="audit_insurer_time"),
            models.Index(fields=["office", "-occurred_at"], name="audit_office_time"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.event_type}"

    def get_event_type_display(self) -> str:
        try:
            return str(EventType(self.event_type).label)
        except ValueError:  # a type retired since the row was written keeps its code
            return self.event_type

    def get_outcome_display(self) -> str:
        try:
            return str(Outcome(self.outcome).label)
        except ValueError:
            return self.outcome
