"""AES-256-GCM encryption with a key ring, and keyed digests.

A key ring is configured as ``"kid2:<base64 key>,kid1:<base64 key>"``: the first key encrypts,
every key decrypts, so keys can be rotated by prepending a new one and re-encrypting. A token
is ``"<kid>$<base64url(nonce || ciphertext || tag)>"``; the key id travels with the data so a
row encrypted under an older key is still readable during a rotation.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class KeyRingError(Exception):
    """A key ring specification is malformed."""


class DecryptionError(Exception):
    """A token cannot be decrypted: unknown key id, malformed, or tampered with."""


@functools.lru_cache(maxsize=16)
def _aead(key: bytes) -> AESGCM:
    """One cipher object per key: building it costs as much as encrypting a short value."""
    return AESGCM(key)


def generate_key() -> bytes:
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def generate_key_spec(kid: str) -> str:
    """A fresh one-key ring specification, for first-run development secrets."""
    return f"{kid}:{encode_key(generate_key())}"


@dataclass(frozen=True)
class KeyRing:
    keys: Mapping[str, bytes] = field(repr=False)  # a ring is a local in tracebacks; never print keys
    active_kid: str

    @classmethod
    def parse(cls, spec: str, *, name: str = "key ring") -> KeyRing:
        keys: dict[str, bytes] = {}
        active: str | None = None
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, encoded = part.partition(":")
            if not sep or not _KID_RE.match(kid):
                raise KeyRingError(f"{name}: each entry must be '<kid>:<base64 key>'")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise KeyRingError(f"{name}: key {kid!r} is not valid base64") from exc
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"{name}: key {kid!r} must be {KEY_BYTES} bytes")
            if kid in keys:
                raise KeyRingError(f"{name}: key id {kid!r} appears twice")
            keys[kid] = key
            active = active or kid
        if active is None:
            raise KeyRingError(f"{name}: no key given")
        return cls(keys=keys, active_kid=active)

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]

    def encrypt(self, plaintext: bytes, *, aad: bytes = b"") -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = _aead(self.active_key).encrypt(nonce, plaintext, aad)
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{self.active_kid}${body}"

    def decrypt(self, token: str, *, aad: bytes = b"") -> bytes:
        kid, sep, body = token.partition("$")
        if not sep or kid not in self.keys:
            raise DecryptionError("unknown key id")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
        except (binascii.Error, ValueError) as exc:
            raise DecryptionError("malformed token") from exc
        if len(raw) < NONCE_BYTES + 16:
            raise DecryptionError("malformed token")
        try:
            return _aead(self.keys[kid]).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise DecryptionError("authentication tag mismatch") from exc

    def kid_of(self, token: str) -> str:
        return token.partition("$")[0]


def keyed_digest(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 as lowercase hex: blind indexes and hash-chain links."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
