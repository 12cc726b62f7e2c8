"""Era dates of DESIGN §3: every accepted spelling, every rejection, and round-trip properties."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shinchoku.lib.eras import (
    ERAS,
    MAX_DATE,
    MIN_DATE,
    DateFormatError,
    Era,
    format_wareki,
    parse_date,
    parse_date_uncached,
)

FEB_6 = date(2025, 2, 6)


def full_width(text: str) -> str:
    """ASCII to full-width (Ａ, ０, ．, ／, －), as Japanese IMEs type by default."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def era_of(value: date) -> Era:
    return next(e for e in reversed(ERAS) if e.start <= value)


# ---------------------------------------------------------------------------------------------
# Examples
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/02/06", FEB_6),
        ("2025-02-06", FEB_6),
        ("2025.2.6", FEB_6),
        ("20250206", FEB_6),
        ("2025年2月6日", FEB_6),
        ("2025年02月06日", FEB_6),
        ("R07.02.06", FEB_6),
        ("R7.2.6", FEB_6),
        ("r7/2/6", FEB_6),
        ("R07-02-06", FEB_6),
        ("R7年2月6日", FEB_6),
        ("令和7年2月6日", FEB_6),
        ("令和 7年 2月 6日", FEB_6),
        ("令7.2.6", FEB_6),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("R01.05.01", date(2019, 5, 1)),
        ("H31.04.30", date(2019, 4, 30)),
        ("h31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("H01.01.08", date(1989, 1, 8)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("S64.01.07", date(1989, 1, 7)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("S01.12.25", date(1926, 12, 25)),
        ("T15.12.24", date(1926, 12, 24)),
        ("T01.07.30", date(1912, 7, 30)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("M45.07.29", date(1912, 7, 29)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("M6.1.1", MIN_DATE),
        ("1873/01/01", MIN_DATE),
        ("2100/12/31", MAX_DATE),
        ("R82.12.31", MAX_DATE),
        ("H04.02.29", date(1992, 2, 29)),  # 平成4年 is 1992, a leap year
        ("Ｒ０７．０２．０６", FEB_6),
        ("２０２５／０２／０６", FEB_6),
        ("２０２５－０２－０６", FEB_6),
        ("２０２５０２０６", FEB_6),
        ("令和７年２月６日", FEB_6),
        ("ｒ７／２／６", FEB_6),
        ("㋿7年2月6日", FEB_6),  # the single-character 令和 ligature
        ("㍻31年4月30日", date(2019, 4, 30)),
        ("2025ー02ー06", FEB_6),  # katakana long-vowel mark typed as a dash
        ("  R07.02.06  ", FEB_6),
        ("\u3000令和7年2月6日\u3000", FEB_6),
        ("\t2025/02/06\r\n", FEB_6),
    ],
)
def test_it_accepts_what_municipal_exports_write(text: str, expected: date) -> None:
    assert parse_date(text) == expected
    assert parse_date_uncached(text) == expected


@pytest.mark.parametrize("text", ["", " ", "\u3000", "\t\r\n", "\u3000 \u3000"])
def test_a_blank_cell_means_not_yet(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Outside their era: the day after an era ends and the day before it starts.
        ("H31.05.01", "平成31年4月30日より後の平成の日付はありません"),
        ("平成31年5月1日", "平成31年4月30日より後の平成の日付はありません"),
        ("R01.04.30", "令和元年5月1日より前の令和の日付はありません"),
        ("令和元年4月30日", "令和元年5月1日より前の令和の日付はありません"),
        ("S64.01.08", "昭和64年1月7日より後の昭和の日付はありません"),
        ("H01.01.07", "平成元年1月8日より前の平成の日付はありません"),
        ("T15.12.25", "大正15年12月24日より後の大正の日付はありません"),
        ("S01.12.24", "昭和元年12月25日より前の昭和の日付はありません"),
        ("M45.07.30", "明治45年7月29日より後の明治の日付はありません"),
        ("T01.07.29", "大正元年7月30日より前の大正の日付はありません"),
        ("H99.1.1", "平成31年4月30日より後の平成の日付はありません"),
        ("R0.5.1", "令和0年はありません"),
        # Impossible calendar dates.
        ("2025/02/30", "2025年2月30日は存在しません"),
        ("2025年2月30日", "2025年2月30日は存在しません"),
        ("20250230", "2025年2月30日は存在しません"),
        ("2025/13/01", "2025年13月1日は存在しません"),
        ("2025/00/10", "2025年0月10日は存在しません"),
        ("2025/01/00", "2025年1月0日は存在しません"),
        ("2025/04/31", "2025年4月31日は存在しません"),
        ("R07.02.29", "令和7年2月29日は存在しません"),
        ("令和元年2月30日", "令和元年2月30日は存在しません"),
        ("H31.02.29", "平成31年2月29日は存在しません"),
        # Two-digit 西暦 years are ambiguous.
        ("25/02/06", "西暦の年は4桁で書いてください"),
        ("25-2-6", "西暦の年は4桁で書いてください"),
        ("250206", "西暦の年は4桁で書いてください"),
        ("25年2月6日", "西暦の年は4桁で書いてください"),
        # Before the Gregorian calendar, and the far future.
        ("1872/12/31", "1872年は扱える範囲外です"),
        ("18680125", "1868年は扱える範囲外です"),
        ("M5.12.31", "1873年)1月1日より前の日付は扱えません"),
        ("M01.01.25", "1873年)1月1日より前の日付は扱えません"),
        ("明治元年1月1日", "1873年)1月1日より前の日付は扱えません"),
        ("2101/01/01", "2101年は扱える範囲外です"),
        ("R83.01.01", "2100年12月31日より後の日付は扱えません"),
        # Unreadable.
        ("abc", "日付として読めません"),
        ("2025/02-06", "日付として読めません"),  # mixed separators
        ("2025/02/06 10:00", "日付として読めません"),
        ("R7.2", "日付として読めません"),
        ("K07.02.06", "日付として読めません"),
        ("R123.1.1", "日付として読めません"),
        ("2025/002/06", "日付として読めません"),
        ("202502061", "日付として読めません"),
        ("未定", "日付として読めません"),
        ("-", "日付として読めません"),
        ("٢٠٢٥/٠٢/٠٦", "日付として読めません"),  # Arabic-Indic digits are not 数字 here
    ],
)
def test_it_rejects_with_a_message_that_says_why(text: str, message: str) -> None:
    with pytest.raises(DateFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text)


def test_the_error_is_a_value_error() -> None:
    assert issubclass(DateFormatError, ValueError)


def test_the_cached_function_keeps_65536_distinct_strings() -> None:
    assert parse_date.cache_info().maxsize == 65536


def test_errors_are_raised_every_time_not_cached_as_results() -> None:
    for _ in range(2):
        with pytest.raises(DateFormatError):
            parse_date("2025/02/30")


def test_the_era_table_has_no_gaps_or_overlaps() -> None:
    for earlier, later in itertools.pairwise(ERAS):
        assert earlier.end is not None
        assert earlier.end + timedelta(days=1) == later.start
    assert ERAS[-1].end is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FEB_6, "令和7年2月6日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1926, 12, 25), "昭和元年12月25日"),
        (date(1926, 12, 24), "大正15年12月24日"),
        (date(1912, 7, 30), "大正元年7月30日"),
        (date(1912, 7, 29), "明治45年7月29日"),
        (MIN_DATE, "明治6年1月1日"),
    ],
)
def test_it_formats_wareki_for_display(value: date, expected: str) -> None:
    assert format_wareki(value) == expected


def test_it_will_not_format_a_date_before_the_gregorian_calendar() -> None:
    with pytest.raises(DateFormatError):
        format_wareki(date(1872, 12, 31))


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

supported_dates = st.dates(min_value=MIN_DATE, max_value=MAX_DATE)
boundaries = [MIN_DATE, MAX_DATE] + [e.start for e in ERAS[1:]] + [e.end for e in ERAS if e.end is not None]


def western_spellings(value: date) -> list[str]:
    y, m, d = value.year, value.month, value.day
    spellings = [f"{y:04d}{m:02d}{d:02d}", f"{y}年{m}月{d}日", f"{y}年{m:02d}月{d:02d}日"]
    for sep in "/-.":
        spellings += [f"{y:04d}{sep}{m:02d}{sep}{d:02d}", f"{y}{sep}{m}{sep}{d}"]
    return spellings


def wareki_spellings(value: date) -> list[str]:
    era = era_of(value)
    n = era.year_of(value)
    m, d = value.month, value.day
    years = [str(n), f"{n:02d}"] + (["元"] if n == 1 else [])
    spellings = []
    for year in years:
        spellings.append(f"{era.name}{year}年{m}月{d}日")
        spellings.append(f"{era.name}{year}年{m:02d}月{d:02d}日")
        for letter in (era.letter, era.letter.lower()):
            spellings.append(f"{letter}{year}年{m}月{d}日")
            for sep in "/-.":
                spellings.append(f"{letter}{year}{sep}{m:02d}{sep}{d:02d}")
                spellings.append(f"{letter}{year}{sep}{m}{sep}{d}")
    return spellings


@given(supported_dates)
@example(MIN_DATE)
@example(MAX_DATE)
@example(date(2019, 5, 1))
@example(date(1989, 1, 8))
def test_every_western_spelling_parses_back(value: date) -> None:
    for text in western_spellings(value):
        for variant in (text, full_width(text), f" {text}\u3000"):
            assert parse_date_uncached(variant) == value, variant


@given(st.one_of(supported_dates, st.sampled_from(boundaries)))
@example(date(2019, 5, 1))
@example(date(2019, 4, 30))
@example(date(1989, 1, 7))
@example(date(1989, 1, 8))
@example(date(1926, 12, 25))
@example(date(1912, 7, 30))
def test_every_wareki_spelling_parses_back(value: date) -> None:
    for text in wareki_spellings(value):
        for variant in (text, full_width(text), f"\u3000{text} "):
            assert parse_date_uncached(variant) == value, variant


@given(st.one_of(supported_dates, st.sampled_from(boundaries)))
def test_formatted_wareki_parses_back(value: date) -> None:
    assert parse_date(format_wareki(value)) == value


@given(st.one_of(supported_dates, st.sampled_from(boundaries)))
def test_a_date_written_in_the_neighbouring_era_is_rejected(value: date) -> None:
    era = era_of(value)
    for other in ERAS:
        if other is era:
            continue
        year = value.year - other.start.year + 1
        if year < 1 or year > 99:
            continue  # cannot even be spelled with that era
        with pytest.raises(DateFormatError):
            parse_date_uncached(f"{other.letter}{year}.{value.month}.{value.day}")


date_like_text = st.text(
    alphabet="0123456789０１２/.-．／ー年月日元令和平成昭大正明治㋿MTSHRmtshrＲ \u3000", max_size=16
)


@given(st.one_of(st.text(), date_like_text))
@example("R99.99.99")
@example("9999/99/99")
@example("00000000")
@example("M00.00.00")
@example("元年")
@example("\u3000")
@example("R元年元月元日")
def test_any_text_parses_or_raises_date_format_error(text: str) -> None:
    try:
        value = parse_date_uncached(text)
    except DateFormatError as exc:
        assert str(exc)
        return
    if value is not None:
        assert MIN_DATE <= value <= MAX_DATE
        assert parse_date(format_wareki(value)) == value
