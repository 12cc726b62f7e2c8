"""AES-256-GCM key ring: round trips, tamper detection, rotation, and strict parsing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shinchoku.lib.crypto import (
    KEY_BYTES,
    NONCE_BYTES,
    DecryptionError,
    KeyRing,
    KeyRingError,
    encode_key,
    generate_key,
    generate_key_spec,
    keyed_digest,
)

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(32, 64))
OLD_SPEC = f"old:{encode_key(OLD_KEY)}"
NEW_SPEC = f"new:{encode_key(NEW_KEY)}"
RING = KeyRing.parse(OLD_SPEC)
URL_SAFE_KEY = base64.urlsafe_b64encode(b"\xfb" * 32).decode("ascii")  # '-' and '_' instead of '+' and '/'


def body_of(token: str) -> bytes:
    return base64.urlsafe_b64decode(token.partition("$")[2])


def with_body(token: str, raw: bytes) -> str:
    return f"{token.partition('$')[0]}${base64.urlsafe_b64encode(raw).decode('ascii')}"


@given(st.binary(), st.binary())
@example(b"", b"")
@example(b"H012345678", b"insurer:431007")
def test_any_plaintext_round_trips_with_its_aad(plaintext: bytes, aad: bytes) -> None:
    token = RING.encrypt(plaintext, aad=aad)

    assert token.startswith("old$")
    assert token.isascii()
    assert RING.decrypt(token, aad=aad) == plaintext


@given(st.binary(max_size=64), st.binary(max_size=16), st.binary(max_size=16))
def test_a_token_read_with_other_aad_is_refused(plaintext: bytes, aad: bytes, other: bytes) -> None:
    token = RING.encrypt(plaintext, aad=aad)
    if other == aad:
        other += b"\x00"

    with pytest.raises(DecryptionError):
        RING.decrypt(token, aad=other)


@given(st.binary(max_size=64), st.data())
def test_flipping_any_bit_of_a_token_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    token = RING.encrypt(plaintext)
    raw = bytearray(body_of(token))
    index = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="byte")
    raw[index] ^= 1 << data.draw(st.integers(min_value=0, max_value=7), label="bit")

    with pytest.raises(DecryptionError):
        RING.decrypt(with_body(token, bytes(raw)))


@given(st.binary(max_size=64), st.data())
def test_a_truncated_token_is_refused(plaintext: bytes, data: st.DataObject) -> None:
    token = RING.encrypt(plaintext)
    cut = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="cut")

    with pytest.raises(DecryptionError):
        RING.decrypt(token[:cut])


@given(st.binary(max_size=64), st.data())
def test_a_token_whose_bytes_are_cut_short_is_refused(plaintext: bytes, data: st.DataObject) -> None:
    token = RING.encrypt(plaintext)
    raw = body_of(token)
    keep = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="keep")

    with pytest.raises(DecryptionError):
        RING.decrypt(with_body(token, raw[:keep]))


def test_a_token_under_an_unknown_key_id_is_refused() -> None:
    token = KeyRing.parse(NEW_SPEC).encrypt(b"secret")

    with pytest.raises(DecryptionError, match="unknown key id"):
        RING.decrypt(token)


def test_a_token_under_the_same_key_id_but_another_key_is_refused() -> None:
    impostor = KeyRing.parse(f"old:{encode_key(NEW_KEY)}")

    with pytest.raises(DecryptionError):
        RING.decrypt(impostor.encrypt(b"secret"))


@given(st.text())
@example("old$")
@example("old$AAAA")
@example("old$é")
@example("$")
@example("old$" + "A" * 40 + "=")
def test_any_text_as_a_token_fails_only_with_a_decryption_error(token: str) -> None:
    with pytest.raises(DecryptionError):
        RING.decrypt(token)


def test_each_encryption_of_the_same_plaintext_differs() -> None:
    tokens = {RING.encrypt(b"H012345678") for _ in range(50)}
    nonces = {body_of(token)[:NONCE_BYTES] for token in tokens}

    assert len(tokens) == 50
    assert len(nonces) == 50
    assert {RING.decrypt(token) for token in tokens} == {b"H012345678"}


def test_a_token_is_the_key_id_then_nonce_ciphertext_and_tag() -> None:
    token = RING.encrypt(b"abc")

    assert RING.kid_of(token) == "old"
    assert len(body_of(token)) == NONCE_BYTES + 3 + 16


def test_a_rotated_ring_reads_old_tokens_and_writes_under_the_new_key() -> None:
    old_token = RING.encrypt(b"before rotation", aad=b"case:1")
    rotated = KeyRing.parse(f"{NEW_SPEC},{OLD_SPEC}")

    new_token = rotated.encrypt(b"after rotation", aad=b"case:1")

    assert rotated.active_kid == "new"
    assert rotated.active_key == NEW_KEY
    assert rotated.decrypt(old_token, aad=b"case:1") == b"before rotation"
    assert rotated.kid_of(new_token) == "new"
    assert rotated.decrypt(new_token, aad=b"case:1") == b"after rotation"
    # a server still on the old ring cannot read what the rotated one wrote
    with pytest.raises(DecryptionError):
        RING.decrypt(new_token, aad=b"case:1")


def test_a_spec_tolerates_spaces_and_empty_entries_around_keys() -> None:
    ring = KeyRing.parse(f" {NEW_SPEC} , ,{OLD_SPEC},")

    assert ring.active_kid == "new"
    assert dict(ring.keys) == {"new": NEW_KEY, "old": OLD_KEY}


def test_a_generated_spec_parses_to_one_fresh_key() -> None:
    ring = KeyRing.parse(generate_key_spec("k1"))

    assert ring.active_kid == "k1"
    assert len(ring.active_key) == KEY_BYTES
    assert generate_key() != generate_key()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "no key given"),
        (" , ,", "no key given"),
        (encode_key(OLD_KEY), "each entry must be"),  # no kid
        (f":{encode_key(OLD_KEY)}", "each entry must be"),  # empty kid
        (f"k$1:{encode_key(OLD_KEY)}", "each entry must be"),  # '$' would break tokens
        (f"{'k' * 17}:{encode_key(OLD_KEY)}", "each entry must be"),  # kid too long
        ("k1:not base64!", "not valid base64"),
        (f"k1:{encode_key(OLD_KEY)[:20]}*{encode_key(OLD_KEY)[20:]}", "not valid base64"),  # no skipping junk
        (f"k1:{encode_key(OLD_KEY)[:-1]}", "not valid base64"),  # padding broken
        (f"k1:{URL_SAFE_KEY}", "not valid base64"),
        ("k1:", "must be 32 bytes"),
        (f"k1:{encode_key(OLD_KEY[:16])}", "must be 32 bytes"),  # AES-128 key
        (f"k1:{encode_key(OLD_KEY + b'x')}", "must be 32 bytes"),
        (f"k1:{encode_key(OLD_KEY)},k1:{encode_key(NEW_KEY)}", "appears twice"),
    ],
)
def test_a_malformed_spec_is_refused(spec: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message):
        KeyRing.parse(spec, name="SHINCHOKU_DATA_KEYS")


def test_a_refused_spec_names_the_setting_but_not_the_key() -> None:
    short = encode_key(OLD_KEY[:16])

    with pytest.raises(KeyRingError) as caught:
        KeyRing.parse(f"k1:{short}", name="SHINCHOKU_DATA_KEYS")

    assert "SHINCHOKU_DATA_KEYS" in str(caught.value)
    assert short not in str(caught.value)


def test_a_key_ring_does_not_show_its_keys_in_repr() -> None:
    # A ring is a local (``self``) in every encrypt/decrypt frame: tracebacks with locals and
    # debug pages print it.
    shown = repr(KeyRing.parse(f"{NEW_SPEC},{OLD_SPEC}"))

    assert "new" in shown
    assert repr(NEW_KEY) not in shown
    assert repr(OLD_KEY) not in shown


def test_keyed_digest_matches_the_rfc_4231_vector() -> None:
    # RFC 4231 test case 2 (HMAC-SHA-256)
    assert (
        keyed_digest(b"Jefe", b"what do ya want for nothing?")
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@given(st.binary(min_size=1), st.binary())
def test_keyed_digest_is_stable_and_depends_on_the_key(key: bytes, message: bytes) -> None:
    digest = keyed_digest(key, message)

    assert digest == keyed_digest(key, message)
    assert len(digest) == 64
    assert digest == digest.lower()
    assert keyed_digest(bytes([key[0] ^ 1]) + key[1:], message) != digest
