"""Re-encrypting data under the active data key, after a new key was put first in the ring (T5).

Three kinds of rows carry tokens of ``settings.DATA_KEYRING``: ``Case.insured_number_enc`` (AAD =
the insurer), allauth's second-factor secrets (TOTP ``secret``, recovery-code ``seed`` and
any ``migrated_codes``; AAD ``allauth.mfa``, see ``accounts.adapters.MFAAdapter``) and offices'
proofs of designation (``DesignationProof.sealed``; AAD the office, see ``offices.proofs``). Rows
whose token names another key id are decrypted with the ring and encrypted again with the active key.

Work goes in batches, each in its own transaction, in primary-key order: a run stopped at any
point leaves every row readable (old rows still decrypt with the old key, which stays in the
ring until the rotation is complete) and the next run simply carries on with what is left.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction

from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record
from shinchoku.cases.identity import decrypt_insured, encrypt_insured
from shinchoku.cases.models import Case
from shinchoku.lib.crypto import DecryptionError
from shinchoku.offices import proofs

ACTOR_LABEL = "manage.py rotate_data_key"
# Authenticator types whose data holds DATA_KEYRING tokens, and under which keys.
_MFA_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES)
_MFA_SINGLE_KEYS = ("secret", "seed")
_MFA_LIST_KEYS = ("migrated_codes",)


class RotationError(Exception):
    """A token could not be decrypted with any key of the ring; nothing of its batch was written."""


@dataclass
class RotationProgress:
    """Counts so far, by the key id each row was under before (for the audit and the command)."""

    cases: Counter[str] = field(default_factory=Counter)
    authenticators: Counter[str] = field(default_factory=Counter)
    proofs: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.cases.values()) + sum(self.authenticators.values()) + sum(self.proofs.values())


def stale_cases_count() -> int:
    return Case.objects.exclude(insured_number_enc__startswith=f"{settings.DATA_KEYRING.active_kid}$").count()


def _is_stale(token: str) -> bool:
    return settings.DATA_KEYRING.kid_of(token) != settings.DATA_KEYRING.active_kid


def _rotate_case_batch(after_pk: int, batch_size: int, progress: RotationProgress) -> int | None:
    """Re-encrypts the next batch of stale cases after ``after_pk``; returns the last pk seen, or None when done."""
    active_prefix = f"{settings.DATA_KEYRING.active_kid}$"
    with transaction.atomic():
        rows = list(
            Case.objects.select_for_update(of=("self",))  # lock the cases, not their insurer rows
            .filter(pk__gt=after_pk)
            .exclude(insured_number_enc__startswith=active_prefix)
            .order_by("pk")
            .values_list("pk", "insured_number_enc", "insurer__number")[:batch_size]
        )
        if not rows:
            return None
        updated: list[Case] = []
        counted: Counter[str] = Counter()  # added to progress only once the batch is written
        for pk, token, insurer_number in rows:
            try:
                number = decrypt_insured(insurer_number, token)
            except DecryptionError as exc:
                kid = settings.DATA_KEYRING.kid_of(token)
                raise RotationError(f"認定申請 #{pk} の被保険者番号を復号できません(鍵ID {kid!r}): {exc}") from exc
            updated.append(Case(pk=pk, insured_number_enc=encrypt_insured(insurer_number, number)))
            counted[settings.DATA_KEYRING.kid_of(token)] += 1
        Case.objects.bulk_update(updated, ["insured_number_enc"])
    progress.cases.update(counted)
    return int(rows[-1][0])


def _reencrypt_mfa_data(data: dict[str, Any], pk: int) -> tuple[dict[str, Any], str | None]:
    """The data with every stale token re-encrypted, and the old key id (None if nothing was stale)."""
    adapter = get_adapter()
    old_kid: str | None = None

    def renew(token: str) -> str:
        nonlocal old_kid
        if not _is_stale(token):
            return token
        old_kid = old_kid or settings.DATA_KEYRING.kid_of(token)
        try:
            plaintext = adapter.decrypt(token)
        except DecryptionError as exc:
            kid = settings.DATA_KEYRING.kid_of(token)
            raise RotationError(f"二要素認証 #{pk} の秘密情報を復号できません(鍵ID {kid!r}): {exc}") from exc
        return str(adapter.encrypt(plaintext))

    renewed = dict(data)
    for key in _MFA_SINGLE_KEYS:
        if isinstance(renewed.get(key), str):
            renewed[key] = renew(renewed[key])
    for key in _MFA_LIST_KEYS:
        if isinstance(renewed.get(key), list):
            renewed[key] = [renew(item) if isinstance(item, str) else item for item in renewed[key]]
    return renewed, old_kid


def _rotate_mfa_batch(after_pk: int, batch_size: int, progress: RotationProgress) -> int | None:
    with transaction.atomic():
        rows = list(
            Authenticator.objects.select_for_update()
            .filter(pk__gt=after_pk, type__in=_MFA_TYPES)
            .order_by("pk")
            .values_list("pk", "data")[:batch_size]
        )
        if not rows:
            return None
        counted: Counter[str] = Counter()
        for pk, data in rows:
            renewed, old_kid = _reencrypt_mfa_data(data or {}, pk)
            if old_kid is not None:
                # update(), not save(): no model signal fires, as no factor was added or changed.
                Authenticator.objects.filter(pk=pk).update(data=renewed)
                counted[old_kid] += 1
    progress.authenticators.update(counted)
    return int(rows[-1][0])


def _rotate_proof_batch(after_pk: int, batch_size: int, progress: RotationProgress) -> int | None:
    try:
        last_pk, counted = proofs.reseal_batch(after_pk, batch_size)
    except DecryptionError as exc:
        raise RotationError(f"指定通知書(#{after_pk} より後)を復号できません: {exc}") from exc
    progress.proofs.update(counted)
    return last_pk


def cases_rotate_data_key(
    *,
    batch_size: int = 2000,
    max_batches: int | None = None,
    on_batch: Callable[[RotationProgress], None] | None = None,
) -> int:
    """Re-encrypts every row not under the active data key; returns how many rows were re-encrypted.

    ``max_batches`` stops early (a bounded run in a maintenance window; the next run resumes);
    ``on_batch`` is called after each committed batch. One audit event per run that changed
    anything, with counts by the key id the rows were under; a run that fails part-way records
    what it did with outcome "failure" and then raises ``RotationError``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    progress = RotationProgress()
    batches = 0
    completed = False
    try:
        for rotate_batch in (_rotate_case_batch, _rotate_mfa_batch, _rotate_proof_batch):
            last_pk: int | None = 0
            while last_pk is not None:
                if max_batches is not None and batches >= max_batches:
                    break
                last_pk = rotate_batch(last_pk, batch_size, progress)
                if last_pk is not None:
                    batches += 1
                    if on_batch is not None:
                        on_batch(progress)
        completed = max_batches is None or (
            stale_cases_count() == 0 and not stale_authenticators_exist() and not proofs.stale_proofs_exist()
        )
    except RotationError:
        _audit(progress, completed=False, outcome=Outcome.FAILURE)
        raise
    if progress.total:
        _audit(progress, completed=completed, outcome=Outcome.SUCCESS)
    return progress.total


def stale_authenticators_exist() -> bool:
    for data in Authenticator.objects.filter(type__in=_MFA_TYPES).values_list("data", flat=True).iterator():
        tokens = [data.get(k) for k in _MFA_SINGLE_KEYS] + [t for k in _MFA_LIST_KEYS for t in data.get(k) or []]
        if any(isinstance(t, str) and _is_stale(t) for t in tokens):
            return True
    return False


def _audit(progress: RotationProgress, *, completed: bool, outcome: Outcome) -> None:
    audit_record(
        event_type=EventType.CASES_KEY_ROTATED,
        actor_label=ACTOR_LABEL,
        outcome=outcome,
        details={
            "active_kid": settings.DATA_KEYRING.active_kid,
            "cases_by_old_kid": dict(sorted(progress.cases.items())),
            "authenticators_by_old_kid": dict(sorted(progress.authenticators.items())),
            "proofs_by_old_kid": dict(sorted(progress.proofs.items())),
            "total": progress.total,
            "completed": completed,
        },
    )
