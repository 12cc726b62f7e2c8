"""Seals: copies of the chain heads kept outside the database (DESIGN T8, §7 "audit sealing").

The hash chain shows any change to the rows it holds, but someone with database-superuser
rights could drop the triggers, delete the newest rows and rewind the head row, leaving a
shorter chain that still verifies. A seal taken earlier and kept elsewhere (another host,
the auditors' mailbox, the encrypted backup) records how far each chain had got and the hash
at that point; verifying against it shows any rewind. A seal carries an HMAC under the audit
key, so it cannot be forged or edited without that key either.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from shinchoku.audit.chain import Break
from shinchoku.audit.models import AuditChainHead, AuditEvent
from shinchoku.lib.crypto import keyed_digest

SEAL_VERSION = 1


class SealError(ValueError):
    """The seal file is unreadable, of another format, or its MAC does not match."""


def _mac(kid: str, body: dict[str, Any]) -> str:
    key = settings.AUDIT_KEYRING.keys.get(kid)
    if key is None:
        raise SealError(f"封印の鍵ID {kid} は現在の監査鍵にありません。")
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return keyed_digest(key, canonical)


def make_seal(now: datetime | None = None) -> dict[str, Any]:
    """The current head of every chain, with a MAC under the active audit key."""
    heads = {h.chain: {"seq": h.last_seq, "hash": h.last_hash} for h in AuditChainHead.objects.order_by("chain")}
    body: dict[str, Any] = {
        "version": SEAL_VERSION,
        "sealed_at": (now or timezone.now()).isoformat(),
        "key_id": settings.AUDIT_KEYRING.active_kid,
        "heads": heads,
    }
    return {**body, "mac": _mac(body["key_id"], body)}


def read_seal(text: str) -> dict[str, Any]:
    try:
        seal = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SealError("封印ファイルを JSON として読めません。") from exc
    if not isinstance(seal, dict) or seal.get("version") != SEAL_VERSION or not isinstance(seal.get("heads"), dict):
        raise SealError("封印ファイルの形式が違います。")
    body = {k: v for k, v in seal.items() if k != "mac"}
    if not hmac.compare_digest(str(seal.get("mac", "")), _mac(str(seal.get("key_id", "")), body)):
        raise SealError("封印ファイルの署名(MAC)が一致しません。封印が書き換えられています。")
    return seal


@dataclass(frozen=True)
class SealReport:
    sealed_at: str
    chains: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def check_seal(seal: dict[str, Any]) -> SealReport:
    """Every sealed (chain, seq) must still exist with the sealed hash, and heads never go back."""
    breaks: list[Break] = []
    heads = {h.chain: h for h in AuditChainHead.objects.filter(chain__in=list(seal["heads"]))}
    for chain, sealed in sorted(seal["heads"].items()):
        seq, sealed_hash = int(sealed["seq"]), str(sealed["hash"])
        if seq == 0:
            continue
        row = AuditEvent.objects.filter(chain=chain, seq=seq).values_list("hash", flat=True).first()
        head = heads.get(chain)
        if row is None:
            breaks.append(Break(chain, seq, f"封印時({seal['sealed_at']})にあった行がありません(末尾の削除)"))
        elif row != sealed_hash:
            breaks.append(Break(chain, seq, f"封印時({seal['sealed_at']})のハッシュと一致しません(書き換え)"))
        elif head is None or head.last_seq < seq:
            breaks.append(Break(chain, seq, "チェーンの先頭が封印時より前に戻されています"))
    return SealReport(sealed_at=str(seal["sealed_at"]), chains=len(seal["heads"]), breaks=breaks)
