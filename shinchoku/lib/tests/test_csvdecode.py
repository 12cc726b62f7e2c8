"""Import-file decoding of DESIGN §3: CP932 and UTF-8 round trips, and failures reported by line."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from shinchoku.lib.csvdecode import (
    UTF8_BOM,
    CsvDecodeError,
    CsvFormatError,
    Decoded,
    decode_csv_bytes,
    iter_csv_rows,
    line_of,
)

HEADER = ["被保険者番号", "申請日", "認定調査実施日", "事業所名"]
# Characters plain shift_jis cannot hold but every Windows-made file may contain.
WINDOWS_ONLY = "髙①㈱〜"


def _round_trips_in_cp932(char: str) -> bool:
    try:
        return char.encode("cp932").decode("cp932") == char
    except UnicodeEncodeError:
        return False


# Everything except NUL that survives cp932 unchanged (≈9,400 characters). 〜 ¢ £ ¬ ‖ − are
# encodable but come back as their Microsoft twins (～ ￠ ￡ ￢ ∥ －): tested separately below.
CP932_CHARS = [chr(i) for i in range(1, 0x10000) if not 0xD800 <= i <= 0xDFFF and _round_trips_in_cp932(chr(i))]
CSV_SPECIALS = [",", '"', "\r", "\n", " ", "\t"]


def to_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def expected_start_lines(rows: list[list[str]]) -> list[int]:
    """Where each row starts, counted from each row's own serialisation."""
    starts, line = [], 1
    for row in rows:
        starts.append(line)
        line += line_breaks(to_csv([row]))
    return starts


def rows_of(cells: st.SearchStrategy[str]) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8)


cp932_cells = st.text(alphabet=st.one_of(st.sampled_from(CSV_SPECIALS), st.sampled_from(CP932_CHARS)), max_size=12)
utf8_cells = st.text(
    alphabet=st.one_of(
        st.sampled_from(CSV_SPECIALS),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00\ufeff"),
    ),
    max_size=12,
)


def read_back(decoded: Decoded) -> tuple[list[int], list[list[str]]]:
    pairs = list(iter_csv_rows(decoded.text))
    return [line for line, _ in pairs], [row for _, row in pairs]


# ---------------------------------------------------------------------------------------------
# Decoding: examples
# ---------------------------------------------------------------------------------------------


def test_it_reads_cp932_with_characters_plain_shift_jis_cannot_hold() -> None:
    rows = [HEADER, ["0000012345", "R07.02.06", "", "㈱髙橋ケアプラン①〜"]]
    data = to_csv(rows).encode("cp932")
    with pytest.raises(UnicodeEncodeError):
        to_csv(rows).encode("shift_jis")

    decoded = decode_csv_bytes(data)

    assert decoded.encoding == "cp932"
    # cp932 has one wave dash, 0x8160, which Windows reads as U+FF5E ～ (FULLWIDTH TILDE).
    assert list(iter_csv_rows(decoded.text)) == [
        (1, HEADER),
        (2, ["0000012345", "R07.02.06", "", "㈱髙橋ケアプラン①～"]),
    ]


@pytest.mark.parametrize("char", list(WINDOWS_ONLY))
def test_each_windows_character_survives_cp932(char: str) -> None:
    decoded = decode_csv_bytes(f"事業所,{char}\r\n".encode("cp932"))
    assert decoded.encoding == "cp932"
    assert decoded.text == f"事業所,{char.replace('〜', '～')}\r\n"


@pytest.mark.parametrize(("prefix", "encoding"), [(b"", "utf-8"), (UTF8_BOM, "utf-8-sig")])
def test_it_reads_utf8_with_or_without_bom(prefix: bytes, encoding: str) -> None:
    text = "被保険者番号,事業所名\r\n0000012345,㈱髙橋〜①\r\n"
    decoded = decode_csv_bytes(prefix + text.encode("utf-8"))
    assert decoded == Decoded(text, encoding)


def test_utf8_japanese_is_not_mistaken_for_cp932() -> None:
    # Many UTF-8 Japanese byte strings are also "valid" cp932 mojibake; UTF-8 must win.
    text = "申請日,認定日,要介護\n事業所,開催日,結果通知\n"
    data = text.encode("utf-8")
    data.decode("cp932")  # proves the trap is real for this text
    assert decode_csv_bytes(data) == Decoded(text, "utf-8")


def test_plain_ascii_is_read_as_utf8() -> None:
    assert decode_csv_bytes(b"a,b\r\n1,2\r\n") == Decoded("a,b\r\n1,2\r\n", "utf-8")


@pytest.mark.parametrize("data", [b"", UTF8_BOM, b"\r\n", b"\n\n", b"   ", UTF8_BOM + b"\r\n"])
def test_it_rejects_an_empty_file(data: bytes) -> None:
    with pytest.raises(CsvDecodeError, match="ファイルが空です"):
        decode_csv_bytes(data)


def test_it_rejects_nul_bytes_as_a_binary_file_and_says_where() -> None:
    with pytest.raises(CsvDecodeError, match="2 行目に NUL 文字") as info:
        decode_csv_bytes(b"a,b\r\nc\x00d\r\n")
    assert "バイナリ" in str(info.value)


def test_it_rejects_an_excel_workbook() -> None:
    xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"
    with pytest.raises(CsvDecodeError, match="NUL 文字"):
        decode_csv_bytes(xlsx)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_it_rejects_utf16(codec: str) -> None:
    data = "被保険者番号,申請日\r\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(CsvDecodeError, match="UTF-16"):
        decode_csv_bytes(data)


def test_it_says_on_which_lines_each_encoding_fails() -> None:
    lines = [b"0000012345,R07.02.06"] * 40
    lines[11] = "0000012345,髙橋".encode("cp932")  # fine as cp932, invalid as UTF-8
    lines[39] = b"0000012345,\x81,"  # a cp932 lead byte with no valid trail: invalid as both
    data = b"\r\n".join(lines) + b"\r\n"

    with pytest.raises(CsvDecodeError) as info:
        decode_csv_bytes(data)

    message = str(info.value)
    assert message.startswith("文字コードを判別できません。UTF-8 としては 12 行目")
    assert "CP932 としては 40 行目" in message
    utf8, cp932 = info.value.failures
    assert (utf8.encoding, utf8.line, utf8.offset) == ("utf-8", 12, data.index("髙".encode("cp932")))
    assert (cp932.encoding, cp932.line, cp932.offset) == ("cp932", 40, data.index(b"\x81,"))
    assert f"先頭から {cp932.offset + 1} バイト目" in message


def test_a_file_with_a_bom_is_only_judged_as_utf8() -> None:
    data = UTF8_BOM + b"a,b\r\n" + "髙".encode("cp932") + b"\r\n"
    with pytest.raises(CsvDecodeError, match="UTF-8\\(BOM 付き\\)のファイルですが、2 行目") as info:
        decode_csv_bytes(data)
    (failure,) = info.value.failures
    assert failure.offset == len(UTF8_BOM) + len(b"a,b\r\n")


def test_the_errors_are_value_errors() -> None:
    assert issubclass(CsvDecodeError, ValueError)
    assert issubclass(CsvFormatError, ValueError)


# ---------------------------------------------------------------------------------------------
# Rows: examples
# ---------------------------------------------------------------------------------------------


def test_rows_carry_the_line_they_start_on_even_after_multi_line_cells() -> None:
    text = 'a,b\r\n"line one\r\nline two\r\nline three",x\r\nc,d\r\n"\n",e\nf,g\n'
    assert list(iter_csv_rows(text)) == [
        (1, ["a", "b"]),
        (2, ["line one\r\nline two\r\nline three", "x"]),
        (5, ["c", "d"]),
        (6, ["\n", "e"]),
        (8, ["f", "g"]),
    ]


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_each_line_ending_counts_one_line(ending: str) -> None:
    text = ending.join(["a,b", "c,d", "e,f"]) + ending
    assert list(iter_csv_rows(text)) == [(1, ["a", "b"]), (2, ["c", "d"]), (3, ["e", "f"])]


def test_a_missing_final_newline_is_fine() -> None:
    assert list(iter_csv_rows("a,b\r\nc,d")) == [(1, ["a", "b"]), (2, ["c", "d"])]


def test_trailing_blank_lines_are_dropped_but_inner_ones_kept() -> None:
    text = "a,b\r\n\r\nc,d\r\n\r\n\r\n"
    assert list(iter_csv_rows(text)) == [(1, ["a", "b"]), (2, []), (3, ["c", "d"])]


def test_an_unclosed_quote_is_reported_at_the_line_it_opens() -> None:
    with pytest.raises(CsvFormatError, match='2 行目から始まる項目の引用符\\("\\)が閉じられていません') as info:
        list(iter_csv_rows('a,b\r\nc,"d\r\ne,f\r\n'))
    assert info.value.line == 2


def test_text_after_a_closing_quote_is_reported() -> None:
    with pytest.raises(CsvFormatError, match="3 行目の CSV の形式が正しくありません"):
        list(iter_csv_rows('a,b\r\nc,d\r\n"e"x,f\r\n'))


def test_line_of_counts_each_kind_of_line_ending_once() -> None:
    data = b"a\r\nb\nc\rd"
    assert [line_of(data, data.index(c)) for c in b"abcd"] == [1, 2, 3, 4]


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


@given(rows_of(cp932_cells))
@example([HEADER, ["0000012345", "令和7年2月6日", "", "㈱髙橋①"]])
@example([["髙", "①\r\n㈱"], ["ﾃｱ"]])
def test_cp932_files_round_trip(rows: list[list[str]]) -> None:
    text = to_csv(rows)
    assume(text.strip())
    data = text.encode("cp932")
    try:
        as_utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        as_utf8 = None
    # A few short cp932 strings are also valid UTF-8 (ﾃｱ is C3 B1, "ñ"); by design UTF-8 wins.
    assume(as_utf8 is None or as_utf8 == text)

    decoded = decode_csv_bytes(data)

    assert decoded.text == text
    assert decoded.encoding == ("utf-8" if as_utf8 is not None else "cp932")
    assert read_back(decoded) == (expected_start_lines(rows), rows)


@given(rows_of(utf8_cells), st.booleans())
@example([HEADER, ["0000012345", "令和7年2月6日", "", "㈱髙橋①〜"]], True)
@example([["a\rb", "c"], ["\n"], [""]], False)
def test_utf8_files_round_trip_with_or_without_bom(rows: list[list[str]], bom: bool) -> None:
    text = to_csv(rows)
    assume(text.strip())
    data = (UTF8_BOM if bom else b"") + text.encode("utf-8")

    decoded = decode_csv_bytes(data)

    assert decoded.text == text
    assert decoded.encoding == ("utf-8-sig" if bom else "utf-8")
    assert read_back(decoded) == (expected_start_lines(rows), rows)


ascii_lines = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20)


@given(
    st.lists(st.tuples(ascii_lines, st.sampled_from([b"\r\n", b"\n", b"\r"])), min_size=1, max_size=30),
    st.data(),
)
def test_a_file_invalid_in_both_encodings_reports_the_right_lines(
    lines: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    bad_line = data.draw(st.integers(min_value=1, max_value=len(lines)), label="bad_line")
    # Optionally a line of genuine cp932 Japanese, where UTF-8 (but not cp932) gives up.
    sjis_line = data.draw(st.one_of(st.none(), st.integers(min_value=1, max_value=len(lines))), label="sjis_line")

    parts, bad_offset, sjis_offset = [], -1, -1
    position = 0
    for number, (content, ending) in enumerate(lines, start=1):
        chunk = content.encode("ascii")
        if number == sjis_line:
            sjis_offset = position + len(chunk)
            chunk += "髙橋①".encode("cp932")
        if number == bad_line:
            bad_offset = position + len(chunk)
            chunk += b"\x81,"  # cp932 lead byte without a trail byte; a stray continuation in UTF-8
        parts.append(chunk + ending)
        position += len(chunk + ending)
    blob = b"".join(parts)

    with pytest.raises(CsvDecodeError) as info:
        decode_csv_bytes(blob)

    utf8, cp932 = info.value.failures
    utf8_offset = bad_offset if sjis_offset == -1 else min(bad_offset, sjis_offset)
    utf8_line = bad_line if sjis_line is None or bad_offset < sjis_offset else sjis_line
    assert (cp932.line, cp932.offset) == (bad_line, bad_offset)
    assert (utf8.line, utf8.offset) == (utf8_line, utf8_offset)
    assert f"UTF-8 としては {utf8_line} 行目" in str(info.value)
    assert f"CP932 としては {bad_line} 行目" in str(info.value)


@given(st.binary(max_size=200))
@example(b"\x81")
@example(UTF8_BOM + b"\xff")
@example(b"\xff\xfe")
def test_any_bytes_decode_or_raise_csv_decode_error(blob: bytes) -> None:
    try:
        decoded = decode_csv_bytes(blob)
    except CsvDecodeError as exc:
        assert str(exc)
        return
    assert decoded.encoding in {"utf-8", "utf-8-sig", "cp932"}
    try:
        rows = list(iter_csv_rows(decoded.text))
    except CsvFormatError as exc:
        assert exc.line >= 1
        return
    assert all(line >= 1 for line, _ in rows)
