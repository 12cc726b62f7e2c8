"""Hashing and verification of audit chains; no request handling here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from shinchoku.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from shinchoku.lib.crypto import keyed_digest

# Every field a row is judged by. Adding a field means adding it here, and old rows keep
# verifying because absent keys are never hashed with a default.
HASHED_FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "event_type",
    "outcome",
    "actor_id",
    "actor_label",
    "insurer_id",
    "office_id",
    "ip",
    "user_agent",
    "target_type",
    "target_id",
    "details",
    "key_id",
    "prev_hash",
)


def _canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(event: AuditEvent) -> bytes:
    payload: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        payload[name] = _canonical_time(value) if isinstance(value, datetime) else value
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(event: AuditEvent) -> str:
    key = settings.AUDIT_KEYRING.keys.get(event.key_id)
    if key is None:
        # An unknown key id can never verify; the caller reports it as a broken link.
        return ""
    return keyed_digest(key, canonical_bytes(event))


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"チェーン {self.chain} の連番 {self.seq}: {self.reason}"


@dataclass(frozen=True)
class Report:
    chains: int
    events: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _verify_chain(chain: str, rows: Iterator[AuditEvent], head: AuditChainHead | None) -> tuple[int, Break | None]:
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            return count, Break(
                chain,
                expected_seq,
                f"連番 {expected_seq} が見つからず、{row.seq} が続いています(削除または挿入)",
            )
        if row.prev_hash != prev_hash:
            return count, Break(
                chain,
                row.seq,
                "直前の行とのつながりが一致しません(削除・挿入・並べ替え)",
            )
        if compute_hash(row) != row.hash:
            return count, Break(chain, row.seq, "行の内容がハッシュと一致しません(改ざん)")
        prev_hash = row.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is None:
        return count, Break(chain, last_seq, "チェーンの先頭記録がありません")
    if head.last_seq != last_seq or head.last_hash != prev_hash:
        return count, Break(
            chain,
            last_seq + 1,
            f"末尾の行が失われています(記録上の最終連番は {head.last_seq})",
        )
    return count, None


def verify(chains: list[str] | None = None) -> Report:
    """Walk every chain (or the given ones) and report the first broken link of each."""
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    names = set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    if chains is not None:
        names &= set(chains)
    breaks: list[Break] = []
    total = 0
    for name in sorted(names):
        rows = AuditEvent.objects.filter(chain=name).order_by("seq").iterator(chunk_size=2000)
        count, broken = _verify_chain(name, rows, heads.get(name))
        total += count
        if broken is not None:
            breaks.append(broken)
    return Report(chains=len(names), events=total, breaks=breaks)
