"""Dates as municipal exports write them: 西暦 or 和暦, half- or full-width (DESIGN §3).

A blank cell means "not yet" and parses to ``None``. Anything else is either a real date inside
its era and inside [1873-01-01, 2100-12-31], or a ``DateFormatError`` whose Japanese message
says what is wrong and is safe to show.

An import of a million rows calls :func:`parse_date` about ten million times with few distinct
strings, so it is memoised; the uncached path does one ``isascii`` test, at most one NFKC pass
and one precompiled regex match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date


class DateFormatError(ValueError):
    """The text is not a date we accept; the message is Japanese and safe to show."""


@dataclass(frozen=True)
class Era:
    """An era (元号): its first and last day in the Gregorian calendar."""

    name: str
    letter: str
    start: date
    end: date | None  # None for the current era

    def year_of(self, value: date) -> int:
        return value.year - self.start.year + 1

    def gregorian_year(self, era_year: int) -> int:
        return self.start.year - 1 + era_year


ERAS: tuple[Era, ...] = (
    # 明治 was proclaimed in 1868 retroactively from 慶応4年1月1日 (1868-01-25 Gregorian), but
    # until 明治5年12月2日 Japan kept the lunisolar 天保暦: a written 明治 date before 1873 is a
    # lunisolar date, about a month off if read as Gregorian. See MIN_DATE.
    Era("明治", "M", date(1868, 1, 25), date(1912, 7, 29)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", date(2019, 5, 1), None),
)

# Japan adopted the Gregorian calendar on 明治6年1月1日 (the day after 明治5年12月2日), so this is
# the first day whose 和暦 and 西暦 spellings convert unambiguously. No care case is older anyway.
MIN_DATE = date(1873, 1, 1)
# Far beyond any certification; also catches typos like 2205.
MAX_DATE = date(2100, 12, 31)

_ERA_BY_TOKEN: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_TOKEN[_era.name] = _era
    _ERA_BY_TOKEN[_era.name[0]] = _era  # 令7.2.6, as some systems abbreviate
    _ERA_BY_TOKEN[_era.letter] = _era
    _ERA_BY_TOKEN[_era.letter.lower()] = _era

# Only [0-9]: `\d` would also take Arabic-Indic and other digits that NFKC leaves alone.
_WESTERN_RE = re.compile(
    r"([0-9]{4})"
    r"(?:([/.-])([0-9]{1,2})\2([0-9]{1,2})"  # 2025/02/06, 2025-2-6, 2025.2.6
    r"|([0-9]{2})([0-9]{2})"  # 20250206
    r"|\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日)"  # 2025年2月6日
)
_WAREKI_RE = re.compile(
    r"(明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr])\s*([0-9]{1,2}|元)"
    r"(?:([/.-])([0-9]{1,2})\3([0-9]{1,2})"  # R07.02.06, r7/2/6, H31-04-30
    r"|\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日)"  # 令和7年2月6日, R7年2月6日
)
# Only consulted to explain a failure.
_SHORT_WESTERN_RE = re.compile(r"[0-9]{1,3}([/.-])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{6}|[0-9]{1,3}年[0-9]{1,2}月[0-9]{1,2}日")

# Dashes NFKC leaves alone but people type between date parts (IME 「ー」, Word's 「–」, 「−」).
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ー", "-"))

_UNREADABLE = "日付として読めません(例: 2025/02/06、20250206、R07.02.06、令和7年2月6日)。"


def _wareki_label(era: Era, era_year: int) -> str:
    return f"{era.name}{'元' if era_year == 1 else era_year}年"


def _check_range(value: date) -> date:
    if value < MIN_DATE:
        raise DateFormatError("明治6年(1873年)1月1日より前の日付は扱えません(それ以前は旧暦のため)。")
    if value > MAX_DATE:
        raise DateFormatError("2100年12月31日より後の日付は扱えません。")
    return value


def _western(year: int, month: int, day: int) -> date:
    if not MIN_DATE.year <= year <= MAX_DATE.year:
        raise DateFormatError(f"{year}年は扱える範囲外です。西暦1873年から2100年までの日付を入力してください。")
    try:
        return date(year, month, day)
    except ValueError:
        raise DateFormatError(f"{year}年{month}月{day}日は存在しません。") from None


def _wareki(era: Era, era_year: int, month: int, day: int) -> date:
    if era_year == 0:
        raise DateFormatError(f"{era.name}0年はありません(最初の年は{era.name}元年です)。")
    try:
        value = date(era.gregorian_year(era_year), month, day)
    except ValueError:
        raise DateFormatError(f"{_wareki_label(era, era_year)}{month}月{day}日は存在しません。") from None
    _check_range(value)
    if value < era.start:
        raise DateFormatError(f"{format_wareki(era.start)}より前の{era.name}の日付はありません。")
    if era.end is not None and value > era.end:
        following = ERAS[ERAS.index(era) + 1]
        raise DateFormatError(
            f"{format_wareki(era.end)}より後の{era.name}の日付はありません(翌日からは{following.name}です)。"
        )
    return value


def _unreadable(text: str) -> DateFormatError:
    if _SHORT_WESTERN_RE.fullmatch(text):
        return DateFormatError("西暦の年は4桁で書いてください(和暦なら R07.02.06 のように元号を付けてください)。")
    return DateFormatError(_UNREADABLE)


def parse_date_uncached(raw: str) -> date | None:
    """Parse one cell; blank is ``None`` ("not yet"). Prefer the cached :func:`parse_date`."""
    text = raw.strip()
    if not text:
        return None
    if not text.isascii():
        # Full-width digits, letters and punctuation, ideographic spaces, ㋿/㍻ ligatures.
        text = unicodedata.normalize("NFKC", text).translate(_DASHES).strip()
        if not text:
            return None
    if "0" <= text[0] <= "9":
        match = _WESTERN_RE.fullmatch(text)
        if match is None:
            raise _unreadable(text)
        year, _, m1, d1, m2, d2, m3, d3 = match.groups()
        return _western(int(year), int(m1 or m2 or m3), int(d1 or d2 or d3))
    match = _WAREKI_RE.fullmatch(text)
    if match is None:
        raise _unreadable(text)
    token, era_year, _, m1, d1, m2, d2 = match.groups()
    return _wareki(
        _ERA_BY_TOKEN[token],
        1 if era_year == "元" else int(era_year),
        int(m1 or m2),
        int(d1 or d2),
    )


@functools.lru_cache(maxsize=65536)
def parse_date(raw: str) -> date | None:
    """Memoised :func:`parse_date_uncached`: import files repeat the same few dates endlessly.

    ``date`` is immutable, so sharing cached results is safe; errors are not cached.
    """
    return parse_date_uncached(raw)


def format_wareki(value: date) -> str:
    """``令和7年2月6日`` (元年 for an era's first year), for display."""
    if value < MIN_DATE:
        raise DateFormatError("明治6年(1873年)1月1日より前の日付は和暦で表示できません。")
    era = next(e for e in reversed(ERAS) if e.start <= value)
    return f"{_wareki_label(era, era.year_of(value))}{value.month}月{value.day}日"
