"""Decode and split import files the way municipal systems write them (DESIGN §3).

Files come as CP932 or UTF-8 (with or without BOM). Decoding is strict and deterministic:
UTF-8 first (CP932 text is almost never valid UTF-8, while UTF-8 Japanese is often "valid"
CP932 mojibake), then CP932. Never plain ``shift_jis``: it cannot hold 髙, ① or ㈱. When both
fail we say where, by line and byte, instead of guessing or replacing characters.

Lines are counted as the ``csv`` module and text editors count them: ``\\r\\n``, ``\\n`` or a
lone ``\\r`` ends a line. Neither encoding uses these bytes inside a multi-byte character, so
counting them in the raw bytes gives the same line numbers as counting in the decoded text.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Decoded:
    """The file's text and the encoding it was read with: ``utf-8-sig``, ``utf-8`` or ``cp932``."""

    text: str
    encoding: str


@dataclass(frozen=True)
class DecodeFailure:
    """Where a strict decode stopped: 1-based line, 0-based byte offset from the file start."""

    encoding: str
    line: int
    offset: int


class CsvDecodeError(ValueError):
    """The bytes are not a text file we can read; the message is Japanese and safe to show."""

    def __init__(self, message: str, failures: tuple[DecodeFailure, ...] = ()) -> None:
        super().__init__(message)
        self.failures = failures


class CsvFormatError(ValueError):
    """The text is not well-formed CSV (usually an unclosed quote); the message is safe to show."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def line_of(data: bytes, offset: int) -> int:
    """1-based line holding ``data[offset]``; ``\\r\\n``, ``\\n`` and a lone ``\\r`` end lines."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _failure(encoding: str, data: bytes, offset: int) -> DecodeFailure:
    return DecodeFailure(encoding, line_of(data, offset), offset)


def _where(failure: DecodeFailure) -> str:
    return f"{failure.line} 行目(先頭から {failure.offset + 1} バイト目)"


def decode_csv_bytes(data: bytes) -> Decoded:
    """Strict UTF-8 (BOM optional), then strict CP932; otherwise say where each one fails."""
    if not data:
        raise CsvDecodeError("ファイルが空です。")
    if data.startswith(_UTF16_BOMS):
        raise CsvDecodeError("UTF-16 のファイルは読めません。UTF-8 または CP932(Shift_JIS)で保存し直してください。")
    nul = data.find(b"\x00")
    if nul != -1:
        raise CsvDecodeError(
            f"{line_of(data, nul)} 行目に NUL 文字(0x00)があります。CSV ではなく Excel などのバイナリファイル"
            "か UTF-16 のファイルのようです。CSV(UTF-8 または CP932)で保存し直してください。"
        )
    has_bom = data.startswith(UTF8_BOM)
    start = len(UTF8_BOM) if has_bom else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8 = _failure("utf-8", data, start + exc.start)
    else:
        if not text.strip():
            raise CsvDecodeError("ファイルが空です。")
        return Decoded(text, "utf-8-sig" if has_bom else "utf-8")
    if has_bom:
        # A BOM is a statement of intent: reading the rest as CP932 would only produce mojibake.
        raise CsvDecodeError(
            f"UTF-8(BOM 付き)のファイルですが、{_where(utf8)}に UTF-8 として読めない文字があります。",
            (utf8,),
        )
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        cp932 = _failure("cp932", data, exc.start)
    else:
        if not text.strip():
            raise CsvDecodeError("ファイルが空です。")
        return Decoded(text, "cp932")
    raise CsvDecodeError(
        f"文字コードを判別できません。UTF-8 としては {_where(utf8)}、CP932 としては {_where(cp932)}で"
        "読めない文字があります。UTF-8 または CP932(Shift_JIS)で保存し直してください。",
        (utf8, cp932),
    )


def _format_error(exc: csv.Error, line: int) -> CsvFormatError:
    if "unexpected end of data" in str(exc) or "field larger than field limit" in str(exc):
        return CsvFormatError(f'{line} 行目から始まる項目の引用符(")が閉じられていません。', line)
    return CsvFormatError(f'{line} 行目の CSV の形式が正しくありません(引用符 " の使い方を確認してください)。', line)


def iter_csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the row starts, cells); quoted cells may span lines.

    A blank line inside the file is yielded as an empty row for the caller to judge; blank
    lines at the end are dropped, as spreadsheets and exporters often leave one.
    """
    # newline="" keeps line endings inside quoted cells and lets csv count physical lines.
    return _iter_rows(io.StringIO(text, newline=""))


_CHUNK = 1 << 20


def detect_encoding(stream: BinaryIO) -> tuple[str, str]:
    """The encoding a seekable byte stream decodes with, and the stream's SHA-256.

    The same rules and messages as :func:`decode_csv_bytes`, but a chunk at a time, so a
    file of a million rows is never held in memory. The stream is left at its start.
    """
    stream.seek(0)
    head = stream.read(4)
    if not head:
        raise CsvDecodeError("ファイルが空です。")
    if head.startswith(_UTF16_BOMS):
        raise CsvDecodeError("UTF-16 のファイルは読めません。UTF-8 または CP932(Shift_JIS)で保存し直してください。")
    has_bom = head.startswith(UTF8_BOM)
    utf8, digest, blank = _stream_decode(stream, "utf-8", check_nul=True, skip=len(UTF8_BOM) if has_bom else 0)
    if utf8 is None:
        if blank:
            raise CsvDecodeError("ファイルが空です。")
        return ("utf-8-sig" if has_bom else "utf-8"), digest
    if has_bom:
        raise CsvDecodeError(
            f"UTF-8(BOM 付き)のファイルですが、{_where(utf8)}に UTF-8 として読めない文字があります。", (utf8,)
        )
    cp932, digest, blank = _stream_decode(stream, "cp932", check_nul=False)
    if cp932 is None:
        if blank:
            raise CsvDecodeError("ファイルが空です。")
        return "cp932", digest
    raise CsvDecodeError(
        f"文字コードを判別できません。UTF-8 としては {_where(utf8)}、CP932 としては {_where(cp932)}で"
        "読めない文字があります。UTF-8 または CP932(Shift_JIS)で保存し直してください。",
        (utf8, cp932),
    )


def _stream_decode(
    stream: BinaryIO, encoding: str, *, check_nul: bool, skip: int = 0
) -> tuple[DecodeFailure | None, str, bool]:
    """Decode the whole stream strictly after ``skip`` bytes (a BOM); return (first failure or
    None, SHA-256 of all bytes, whether the text is blank). With ``check_nul`` the whole stream
    is read even after a decoding failure, because a NUL byte anywhere is the better message."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    digest = hashlib.sha256(stream.read(skip))
    offset = skip
    lines = 1
    blank = True
    previous_cr = False
    failure: DecodeFailure | None = None
    while True:
        chunk = stream.read(_CHUNK)
        final = not chunk
        if check_nul and chunk and (nul := chunk.find(b"\x00")) != -1:
            stream.seek(0)
            raise CsvDecodeError(
                f"{lines + _count_lines(chunk[:nul], previous_cr)} 行目に NUL 文字(0x00)があります。CSV ではなく"
                " Excel などのバイナリファイルか UTF-16 のファイルのようです。CSV(UTF-8 または CP932)で保存し直してください。"
            )
        digest.update(chunk)
        if failure is None:
            # exc.start counts from the bytes the decoder held back from the last chunk.
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                local = exc.start - pending
                failure = DecodeFailure(
                    encoding, lines + _count_lines(chunk[: max(local, 0)], previous_cr), offset + local
                )
                if not check_nul:
                    break
            else:
                blank = blank and not text.strip()
        if final:
            break
        lines += _count_lines(chunk, previous_cr)
        previous_cr = chunk.endswith(b"\r")
        offset += len(chunk)
    stream.seek(0)
    return failure, ("" if failure else digest.hexdigest()), (blank and failure is None)


def _count_lines(data: bytes, previous_cr: bool) -> int:
    """Line breaks in ``data``; a \\n right after a \\r that ended the previous chunk is not new."""
    count = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    if previous_cr and data.startswith(b"\n"):
        count -= 1
    return count


def iter_csv_rows_stream(stream: BinaryIO, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """:func:`iter_csv_rows` over a byte stream, decoding as it reads."""
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        yield from _iter_rows(text)
    finally:
        text.detach()


def _iter_rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, strict=True)
    blank: list[tuple[int, list[str]]] = []
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _format_error(exc, line) from None
        if not row:
            blank.append((line, row))
            continue
        yield from blank
        blank.clear()
        yield line, row
