"""Proofs of designation (指定通知書) at rest: checked, sealed and opened.

A proof is sealed with the data key ring (``settings.DATA_KEYRING``, AES-256-GCM) with the
office as associated data, so a sealed proof copied into another office's row does not open.
The plaintext exists only in the request that uploads it and the response that serves it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.db import transaction

from shinchoku.lib.filetypes import DocumentType, sniff_document
from shinchoku.offices.models import DesignationProof

FILE_NAME_MAX = 100


@dataclass(frozen=True)
class ProofUpload:
    """A file that passed the checks, ready to be stored (``proof_upload`` builds it)."""

    data: bytes
    type: DocumentType
    file_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def clean_file_name(raw: str) -> str:
    """The name as people read it: no folders, no control characters, at most 100 characters."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    return name[-FILE_NAME_MAX:] or "proof"


def proof_upload(data: bytes, file_name: str) -> ProofUpload:
    """Raises ``lib.filetypes.UnsupportedDocument`` unless ``data`` is a PDF, PNG or JPEG."""
    return ProofUpload(data=data, type=sniff_document(data).type, file_name=clean_file_name(file_name))


def _aad(office_id: int) -> bytes:
    return f"offices.proof:{office_id}".encode("ascii")


def seal(office_id: int, data: bytes) -> str:
    return settings.DATA_KEYRING.encrypt(data, aad=_aad(office_id))


def open_proof(proof: DesignationProof) -> bytes:
    """The proof's bytes; raises ``lib.crypto.DecryptionError`` if they were tampered with."""
    return settings.DATA_KEYRING.decrypt(proof.sealed, aad=_aad(proof.office_id))


def download_name(proof: DesignationProof, office_number: str) -> str:
    """指定通知書_<office number>.<extension of the sniffed type>, whatever the sender called it."""
    extension = DocumentType.from_content_type(proof.content_type).extension
    return f"指定通知書_{office_number}.{extension}"


def stale_proofs_exist() -> bool:
    """Whether any proof is still sealed under a key other than the active one."""
    return DesignationProof.objects.exclude(sealed__startswith=f"{settings.DATA_KEYRING.active_kid}$").exists()


def reseal_batch(after_pk: int, batch_size: int) -> tuple[int | None, dict[str, int]]:
    """Re-seals the next batch of proofs not under the active key, after ``after_pk``, in one
    transaction (``cases.rotation`` runs it with the other data of the key ring).

    Returns the last primary key seen (None when none is left) and counts by the old key id.
    Raises ``lib.crypto.DecryptionError`` (nothing of the batch written) if one does not open.
    """
    active = f"{settings.DATA_KEYRING.active_kid}$"
    counted: dict[str, int] = {}
    with transaction.atomic():
        rows = list(
            DesignationProof.objects.select_for_update()
            .filter(pk__gt=after_pk)
            .exclude(sealed__startswith=active)
            .order_by("pk")[:batch_size]
        )
        if not rows:
            return None, counted
        for proof in rows:
            old_kid = settings.DATA_KEYRING.kid_of(proof.sealed)
            proof.sealed = seal(proof.office_id, open_proof(proof))
            counted[old_kid] = counted.get(old_kid, 0) + 1
        DesignationProof.objects.bulk_update(rows, ["sealed"])
    return rows[-1].pk, counted
