"""The streaming decoder must agree with the in-memory one on every file, chunk size aside."""

from __future__ import annotations

import hashlib
import io
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shinchoku.lib import csvdecode
from shinchoku.lib.csvdecode import (
    CsvDecodeError,
    decode_csv_bytes,
    detect_encoding,
    iter_csv_rows,
    iter_csv_rows_stream,
)

CELLS = st.sampled_from(["髙", "①", "㈱", "abc", '"x\ny"', "日本", "", " ", "R07.02.06"])
NOISE = st.sampled_from([0x81, 0xFF, 0x80, 0xE3, 0x20, 0x00, 0x0D, 0x0A])


def _both(data: bytes) -> tuple[object, object]:
    try:
        decoded = decode_csv_bytes(data)
        memory: object = (decoded.encoding, list(iter_csv_rows(decoded.text)))
    except (CsvDecodeError, ValueError) as exc:
        memory = ("error", str(exc))
    try:
        encoding, digest = detect_encoding(io.BytesIO(data))
        assert digest == hashlib.sha256(data).hexdigest()
        streamed: object = (encoding, list(iter_csv_rows_stream(io.BytesIO(data), encoding)))
    except (CsvDecodeError, ValueError) as exc:
        streamed = ("error", str(exc))
    return memory, streamed


@settings(max_examples=400, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=3), max_size=8),
    newline=st.sampled_from(["\r\n", "\n", "\r"]),
    encoding=st.sampled_from(["cp932", "utf-8", "utf-8-sig"]),
    noise=st.lists(st.tuples(st.integers(min_value=0), NOISE), max_size=2),
    chunk=st.integers(min_value=1, max_value=40),
)
def test_streaming_and_in_memory_decoding_agree(
    *, rows: list[list[str]], newline: str, encoding: str, noise: list[tuple[int, int]], chunk: int
) -> None:
    data = newline.join(",".join(row) for row in rows).encode(encoding)
    for position, byte in noise:
        cut = position % (len(data) + 1)
        data = data[:cut] + bytes([byte]) + data[cut:]
    with mock.patch.object(csvdecode, "_CHUNK", chunk):  # tiny chunks: every boundary gets crossed
        memory, streamed = _both(data)
    assert memory == streamed


def test_a_failure_split_across_chunks_is_placed_on_the_right_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"a,b\r\n" + b"x,y\r\n" * 3 + b"\x81\x20,z\r\n"  # a lead byte, then an invalid trail byte
    monkeypatch.setattr(csvdecode, "_CHUNK", 7)
    with pytest.raises(CsvDecodeError) as caught:
        detect_encoding(io.BytesIO(data))
    assert "5 行目(先頭から 21 バイト目)" in str(caught.value)
