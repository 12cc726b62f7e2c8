"""Encryption and blind index of the 被保険者番号 (DESIGN §3, T5).

The index binds the insurer number, so equal numbers at two insurers do not correlate; the
ciphertext's AAD binds it too, so a token copied into another insurer's row does not decrypt.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def insured_index(insurer_number: str, insured_number: str) -> str:
    message = f"{insurer_number}:{insured_number}".encode("ascii")
    return hmac.digest(settings.INDEX_KEY, message, hashlib.sha256).hex()


def _aad(insurer_number: str) -> bytes:
    return f"insured:{insurer_number}".encode("ascii")


def encrypt_insured(insurer_number: str, insured_number: str) -> str:
    return str(settings.DATA_KEYRING.encrypt(insured_number.encode("ascii"), aad=_aad(insurer_number)))


def decrypt_insured(insurer_number: str, token: str) -> str:
    return bytes(settings.DATA_KEYRING.decrypt(token, aad=_aad(insurer_number))).decode("ascii")


class Sealer:
    """Index and encrypt many numbers of one insurer: the keys are looked up once (an import
    calls this a million times, and each settings lookup costs as much as the hashing)."""

    def __init__(self, insurer_number: str) -> None:
        self._index_key = settings.INDEX_KEY
        self._ring = settings.DATA_KEYRING
        self._prefix = f"{insurer_number}:".encode("ascii")
        self._aad = _aad(insurer_number)

    def index(self, insured_number: str) -> str:
        return hmac.digest(self._index_key, self._prefix + insured_number.encode("ascii"), hashlib.sha256).hex()

    def encrypt(self, insured_number: str) -> str:
        return str(self._ring.encrypt(insured_number.encode("ascii"), aad=self._aad))


def mask_insured(value: str) -> str:
    """For error messages: enough to find the row in the source system, not enough to misuse."""
    if len(value) <= 2:
        return "●" * len(value)
    return value[0] + "●" * (len(value) - 2) + value[-1]
