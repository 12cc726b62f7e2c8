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

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

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
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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
