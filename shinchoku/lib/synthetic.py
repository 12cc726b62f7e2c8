"""Synthetic certification cases and the import files municipal systems would export for them.

Used by the demo, the tests and the million-row import benchmark, so it is Django-free,
deterministic for a seed (``random.Random(seed)``, nothing else random), streaming (a generator
holding O(1) state: a day's counters and a bounded queue of people who may re-apply) and fast
(all arithmetic is on day *indexes* into precomputed tables; durations are drawn by indexing
quantile tables; dates become ``date`` objects only by list lookup).

The timing model follows DESIGN §4 (MHLW national breakdown): survey done ~10.9 days after its
request, opinion received ~18.0 days after its request (long tail), committee ~16.9 days after
both documents are in, 認定 on the committee day, result notice 1-5 days later. Overall: mean
≈ 39 days from application to 認定, ≈ 24% decided within the legal 30 days, a 延期通知 (day
25-30) for most of the rest. Cases are what an export taken at the end of ``as_of`` shows: a
milestone after ``as_of`` is blank; only planned dates (認定調査予定日, 審査会予定日 and the
延期通知's 延期見込日) may lie in the future.

Never generated: names, addresses, birth dates or anything else we do not store (DESIGN §3).
Vendor files carry harmless extra columns (処理番号, 担当係, 備考, 地区) that the importer ignores.
"""

from __future__ import annotations

import csv
import functools
import heapq
import io
import math
import operator
import random
import statistics
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import BinaryIO

from shinchoku.cases.importing.columns import COLUMN_BY_FIELD
from shinchoku.lib.eras import ERAS, format_wareki
from shinchoku.lib.identifiers import INSURER_NUMBER_RE, office_check_digit

# Codes as in shinchoku.cases.codes (which needs Django; the test checks they agree).
NEW, RENEWAL, CHANGE, EX_OFFICIO, TRANSFER_IN, NEW_ADVANCE, RENEWAL_ADVANCE = "1", "2", "3", "4", "5", "A", "B"
WITHDRAWN, REJECTED = "withdrawn", "rejected"
CARE_LEVELS = ("01", "12", "13", "21", "22", "23", "24", "25")

EXTENSION_REASONS = (
    "主治医意見書の提出遅延のため",
    "認定調査の日程調整のため",
    "審査会の日程のため",
    "入院中のため調査が実施できないため",
)

# Shares in thousandths. 申請区分: 更新 50%, 新規 30%, 区分変更 12%, the rest 転入/職権/事前.
_KIND_SHARES = (
    (RENEWAL, 500),
    (NEW, 300),
    (CHANGE, 120),
    (TRANSFER_IN, 30),
    (EX_OFFICIO, 10),
    (NEW_ADVANCE, 15),
    (RENEWAL_ADVANCE, 25),
)
# 非該当 3%, 要支援1 14%, 要支援2 14%, 要介護1 20%, 要介護2 17%, 要介護3 13%, 要介護4 12%, 要介護5 7%.
_LEVEL_SHARES = tuple(zip(CARE_LEVELS, (30, 140, 140, 200, 170, 130, 120, 70), strict=True))
# No 居宅サービス計画作成依頼届出 yet: common for first applications, rare for renewals (≈10% overall).
_OFFICE_BLANK_RATE = {
    NEW: 0.25,
    NEW_ADVANCE: 0.25,
    RENEWAL: 0.03,
    RENEWAL_ADVANCE: 0.03,
    CHANGE: 0.05,
    TRANSFER_IN: 0.15,
    EX_OFFICIO: 0.05,
}
WITHDRAWN_RATE = 0.02  # death, moving out, no longer wanted
REJECTED_RATE = 0.003  # e.g. a 第2号被保険者 whose illness is not a 特定疾病
HOSPITALISED_RATE = 0.03  # survey postponed until discharge
EXTENSION_NOTICE_RATE = 0.97  # a few late cases lack their 延期通知, as in real files
REPEAT_RATE = 0.025  # a decided application followed by a 区分変更 within the file
_REPEAT_QUEUE_MAX = 4096  # bounds memory whatever the count
WELFARE_PER_MILLE = 3  # "H" numbers (生活保護 recipients without insurance)

_INSURED_SPACE = 10**9  # the nine digits after the first character
_TABLE = 1024  # size of each duration quantile table
_HORIZON = 260  # days after the span the day tables cover; every trajectory ends inside


@dataclass(frozen=True)
class SyntheticCase:
    """One application as an export taken at the end of ``as_of`` shows it (fields as in columns.py)."""

    insured_number: str
    applied_on: date
    application_kind: str
    survey_requested_on: date | None
    survey_scheduled_on: date | None
    survey_done_on: date | None
    opinion_requested_on: date | None
    opinion_received_on: date | None
    primary_judged_on: date | None
    committee_scheduled_on: date | None
    committee_held_on: date | None
    certified_on: date | None
    result_sent_on: date | None
    closure: str
    closed_on: date | None
    extension_notified_on: date | None
    extension_reason: str
    extension_expected_on: date | None
    office_number: str
    care_level: str


_FIELDS = tuple(field.name for field in fields(SyntheticCase))


def _share_table(shares: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    table = tuple(value for value, per_mille in shares for _ in range(per_mille))
    assert len(table) == 1000  # noqa: S101 - a module constant is wrong, not the input
    return table


@functools.cache
def _duration_table(mean: float, sigma: float, low: int, high: int) -> tuple[int, ...]:
    """``_TABLE`` quantiles of ``low`` + a lognormal, rounded and capped at ``high``, with the given mean.

    Drawing ``table[int(random() * _TABLE)]`` samples the distribution at the cost of one
    ``random()`` call; the location parameter is found by bisection so the mean is exact.
    """
    normal = statistics.NormalDist()
    zs = [normal.inv_cdf((k + 0.5) / _TABLE) for k in range(_TABLE)]

    def table(mu: float) -> list[int]:
        return [min(high, low + round(math.exp(mu + sigma * z))) for z in zs]

    lo, hi = -10.0, math.log(high + 1.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        if sum(table(mid)) / _TABLE < mean:
            lo = mid
        else:
            hi = mid
    return tuple(table((lo + hi) / 2))


def _small_table(shares: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """Whole-day offsets with shares in percent, as a 100-entry table."""
    table = tuple(value for value, percent in shares for _ in range(percent))
    assert len(table) == 100  # noqa: S101
    return table


# Durations in days. The means are before rolling to a working day, which adds a little; the
# targets (10.9 / 18.0 / 16.9 measured on generated cases) are checked by the tests.
_SURVEY_DAYS = _duration_table(9.9, 1.0, 2, 45)  # request → survey done
_HOSPITAL_DAYS = _duration_table(24.0, 0.4, 10, 60)  # added when the person is in hospital
_OPINION_DAYS = _duration_table(17.55, 0.75, 4, 95)  # request → opinion received (long tail)
_COMMITTEE_DAYS = _duration_table(16.4, 0.3, 7, 40)  # documents complete → committee
_REQUEST_DELAY = _small_table(((1, 40), (2, 30), (3, 30)))  # application → request
_JUDGE_DELAY = _small_table(((0, 20), (1, 50), (2, 20), (3, 10)))  # documents → 一次判定
_NOTICE_DELAY = _small_table(((1, 25), (2, 30), (3, 20), (4, 15), (5, 10)))  # 認定 → 結果通知
_SCHEDULE_LEAD = _small_table(((7, 40), (8, 25), (9, 20), (10, 15)))  # 審査会予定日 known ahead
_APPOINTMENT_DELAY = _small_table(((1, 35), (2, 30), (3, 20), (4, 10), (5, 5)))  # request → 調査予定日 fixed


def _is_year_end(value: date) -> bool:
    return (value.month == 12 and value.day >= 29) or (value.month == 1 and value.day <= 3)


def _intake_weight(value: date) -> int:
    """Relative number of applications received on a day: none on Sundays or 12/29-1/3."""
    if _is_year_end(value):
        return 0
    return (115, 100, 100, 100, 100, 3, 0)[value.weekday()]


def _roll_table(days: Sequence[date], *, saturday: bool) -> list[int]:
    """``table[i]``: the first working day ≥ i (Mon-Fri, or Mon-Sat when ``saturday``)."""
    last = 5 if saturday else 4
    table = list(range(len(days)))
    following = len(days) - 1
    for i in range(len(days) - 1, -1, -1):
        if days[i].weekday() <= last and not _is_year_end(days[i]):
            following = i
        table[i] = following
    return table


def _previous_workday_table(days: Sequence[date]) -> list[int]:
    table = list(range(len(days)))
    previous = 0
    for i, value in enumerate(days):
        if value.weekday() <= 4 and not _is_year_end(value):
            previous = i
        table[i] = previous
    return table


def office_number_pool(prefecture: str, *, size: int = 120, seed: int = 0) -> list[str]:
    """``size`` distinct 居宅介護支援事業所番号 of a prefecture, with correct check digits."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    serials = rng.sample(range(1, 10000), size)
    pool = []
    for serial in serials:
        area = rng.choice(("01", "01", "01", "02", "03", "10", "21", "40"))
        first_nine = f"{prefecture}7{area}{serial:04d}"
        pool.append(f"{first_nine}{office_check_digit(first_nine)}")
    return pool


def _office_table(rng: random.Random, numbers: Sequence[str]) -> tuple[str, ...]:
    """4096 draws' worth of office numbers, big offices (Zipf-like) taking more cases."""
    if not numbers:
        return ("",)
    ranked = list(numbers)
    rng.shuffle(ranked)
    weights = [1 / (rank + 1) ** 0.6 for rank in range(len(ranked))]
    total = sum(weights)
    table: list[str] = []
    cumulative = 0.0
    for number, weight in zip(ranked, weights, strict=True):
        cumulative += weight
        table.extend([number] * (round(cumulative / total * 4096) - len(table)))
    return tuple(table)


def generate_cases(
    *,
    insurer_number: str,
    count: int,
    as_of: date,
    seed: int,
    span_days: int = 90,
    office_numbers: Sequence[str] | None = None,
) -> Iterator[SyntheticCase]:
    """``count`` applications received over the ``span_days`` up to ``as_of``, in 申請日 order.

    A generator: cases are made one at a time, so a million never sit in memory together.
    Insured numbers come from an affine permutation of 0..10⁹-1 (unique without remembering
    them); about 0.3% start with "H". About 2% of decided applications are followed by a
    区分変更 of the same person within the file. Office numbers come from ``office_numbers``
    or a generated pool of 120 valid numbers in the insurer's prefecture (first two digits of
    ``insurer_number``); ≈10% of cases have none yet.
    """
    if not INSURER_NUMBER_RE.match(insurer_number):
        raise ValueError("insurer_number must be 6 digits")
    if not 0 <= count <= _INSURED_SPACE:
        raise ValueError(f"count must be between 0 and {_INSURED_SPACE}")
    if span_days < 1:
        raise ValueError("span_days must be at least 1")
    return _generate(
        insurer_number=insurer_number,
        count=count,
        as_of=as_of,
        seed=seed,
        span_days=span_days,
        office_numbers=office_numbers,
    )


def _generate(  # noqa: PLR0912, PLR0915 - one loop body on purpose: helper calls per case cost speed
    *,
    insurer_number: str,
    count: int,
    as_of: date,
    seed: int,
    span_days: int,
    office_numbers: Sequence[str] | None,
) -> Iterator[SyntheticCase]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    rand = rng.random

    first_day = as_of - timedelta(days=span_days - 1)
    days = [first_day + timedelta(days=i) for i in range(span_days + _HORIZON)]
    weekday = _roll_table(days, saturday=False)  # requests, opinions, 一次判定, 審査会, notices
    survey_day = _roll_table(days, saturday=True)  # surveyors also visit on Saturdays
    before = _previous_workday_table(days)
    end = span_days - 1  # index of as_of

    weights = [_intake_weight(days[i]) for i in range(span_days)]
    total_weight = sum(weights)
    if count and not total_weight:
        raise ValueError("the span has no day on which applications are received")

    # Affine permutation: x = (a·p + b) mod 10⁹ is one-to-one when gcd(a, 10⁹) = 1.
    multiplier = rng.randrange(_INSURED_SPACE // 10, _INSURED_SPACE) | 1
    if multiplier % 5 == 0:
        multiplier += 2
    offset = rng.randrange(_INSURED_SPACE)
    if office_numbers is None:
        office_numbers = office_number_pool(insurer_number[:2], seed=rng.randrange(2**32))
    offices = _office_table(rng, office_numbers)
    n_offices = len(offices)

    kinds = _share_table(_KIND_SHARES)
    levels = _share_table(_LEVEL_SHARES)
    blank_office = _OFFICE_BLANK_RATE
    survey_t, hospital_t, opinion_t, committee_t = _SURVEY_DAYS, _HOSPITAL_DAYS, _OPINION_DAYS, _COMMITTEE_DAYS
    request_t, judge_t, notice_t, lead_t, appoint_t = (
        _REQUEST_DELAY,
        _JUDGE_DELAY,
        _NOTICE_DELAY,
        _SCHEDULE_LEAD,
        _APPOINTMENT_DELAY,
    )
    reasons = EXTENSION_REASONS
    n = _TABLE
    repeats: list[tuple[int, str, str]] = []  # (earliest day of the 区分変更, number, office)
    heappush, heappop = heapq.heappush, heapq.heappop
    new_case = object.__new__
    set_attribute = object.__setattr__
    case_type = SyntheticCase

    person = 0
    cumulative = 0
    made = 0
    for d in range(span_days):
        cumulative += weights[d]
        quota = cumulative * count // total_weight - made if total_weight else 0
        made += quota
        applied = days[d]
        for _ in range(quota):
            kind = kinds[int(rand() * 1000)]
            if kind == CHANGE and repeats and repeats[0][0] <= d:
                _, number, office = heappop(repeats)
            else:
                x = (multiplier * person + offset) % _INSURED_SPACE
                person += 1
                number = f"H{x:09d}" if x % 1000 < WELFARE_PER_MILLE else f"{x:010d}"
                office = "" if rand() < blank_office[kind] else offices[int(rand() * n_offices)]

            closure_draw = rand()
            closure = WITHDRAWN if closure_draw < WITHDRAWN_RATE else ""
            if WITHDRAWN_RATE <= closure_draw < WITHDRAWN_RATE + REJECTED_RATE:
                closure = REJECTED

            if kind == TRANSFER_IN:
                # 受給資格証明書 from the previous municipality: decided without survey or committee.
                s_req = s_sched_known = s_done = o_req = o_recv = primary = committee = c_known = -1
                certified = weekday[d + 3 + int(rand() * 10)]
                late_reason = 2
            else:
                s_req = weekday[d + request_t[int(rand() * 100)]]
                o_req = s_req if rand() < 0.6 else weekday[d + request_t[int(rand() * 100)]]
                survey = survey_t[int(rand() * n)]
                hospitalised = rand() < HOSPITALISED_RATE
                if hospitalised:
                    survey += hospital_t[int(rand() * n)]
                s_done = survey_day[s_req + survey]
                s_sched_known = min(s_req + appoint_t[int(rand() * 100)], s_done)
                o_recv = weekday[o_req + opinion_t[int(rand() * n)]]
                documents = s_done if s_done > o_recv else o_recv
                primary = weekday[documents + judge_t[int(rand() * 100)]]
                committee = weekday[documents + committee_t[int(rand() * n)]]
                if committee <= primary:
                    committee = weekday[primary + 1]
                c_known = max(committee - lead_t[int(rand() * 100)], primary)
                certified = committee
                if hospitalised:
                    late_reason = 3
                elif o_recv >= s_done:
                    late_reason = 0 if o_recv - o_req > 16 else 2
                else:
                    late_reason = 1 if s_done - s_req > 12 else 2
            sent = weekday[certified + notice_t[int(rand() * 100)]]

            notified = expected = -1
            if certified - d > 30 and rand() < EXTENSION_NOTICE_RATE:
                notified = before[d + 25 + int(rand() * 6)]
                expected = weekday[max(certified + int(rand() * 10) - 3, notified + 7, d + 31)]

            closed = -1
            if closure == WITHDRAWN:
                closed = weekday[d + 1 + int(rand() * (certified - d - 1))]
            elif closure == REJECTED:
                closed = weekday[(o_recv if o_recv >= 0 else d) + 1 + int(rand() * 10)]
            if closed >= certified:
                closed = certified - 1

            # What the export at the end of as_of shows.
            if 0 <= closed <= end:
                limit = closed
                scheduled_limit = closed  # planned dates after a closure were cancelled
            else:
                closure = ""
                limit = end
                scheduled_limit = 1 << 30
            decided = certified <= limit
            if decided and kind != CHANGE and rand() < REPEAT_RATE and len(repeats) < _REPEAT_QUEUE_MAX:
                heappush(repeats, (certified + 7 + int(rand() * 40), number, office))
            shown = 0 <= notified <= limit

            case = new_case(case_type)
            set_attribute(
                case,
                "__dict__",
                {
                    "insured_number": number,
                    "applied_on": applied,
                    "application_kind": kind,
                    "survey_requested_on": days[s_req] if 0 <= s_req <= limit else None,
                    "survey_scheduled_on": (
                        days[s_done] if 0 <= s_sched_known <= limit and s_done <= scheduled_limit else None
                    ),
                    "survey_done_on": days[s_done] if 0 <= s_done <= limit else None,
                    "opinion_requested_on": days[o_req] if 0 <= o_req <= limit else None,
                    "opinion_received_on": days[o_recv] if 0 <= o_recv <= limit else None,
                    "primary_judged_on": days[primary] if 0 <= primary <= limit else None,
                    "committee_scheduled_on": (
                        days[committee] if 0 <= c_known <= limit and committee <= scheduled_limit else None
                    ),
                    "committee_held_on": days[committee] if 0 <= committee <= limit else None,
                    "certified_on": days[certified] if decided else None,
                    "result_sent_on": days[sent] if sent <= limit else None,
                    "closure": closure,
                    "closed_on": days[closed] if closure else None,
                    "extension_notified_on": days[notified] if shown else None,
                    "extension_reason": reasons[late_reason] if shown else "",
                    "extension_expected_on": days[expected] if shown else None,
                    "office_number": office,
                    "care_level": levels[int(rand() * 1000)] if decided and not closure else "",
                },
            )
            yield case


# ---------------------------------------------------------------------------------------------
# Import files
# ---------------------------------------------------------------------------------------------

KIND_WORDS = {
    NEW: "新規",
    RENEWAL: "更新",
    CHANGE: "区分変更",
    EX_OFFICIO: "職権",
    TRANSFER_IN: "転入",
    "6": "資格喪失(死亡)",
    NEW_ADVANCE: "新規(事前)",
    RENEWAL_ADVANCE: "更新(事前)",
}
CLOSURE_WORDS = {WITHDRAWN: "取下げ", REJECTED: "却下", "": ""}
LEVEL_WORDS = dict(
    zip(
        CARE_LEVELS,
        ("非該当", "要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5"),
        strict=True,
    )
)

# Per vendor: the header used for each field (default: Column.header) and extra column, the
# column order (field names and extra columns), and how codes are written. The extra columns,
# in the order write_csv appends their values: the vendor's serial (処理番号, vendor_b calls it
# 受付番号), a team (担当係), a note (備考), an area (地区). None of them is personal.
_EXTRA_NAMES = ("処理番号", "担当係", "備考", "地区")
_HEADERS: dict[str, dict[str, str]] = {
    "default": {},
    "vendor_a": {
        "insured_number": "被保番号",
        "applied_on": "申請年月日",
        "application_kind": "申請種別",
        "survey_done_on": "調査実施日",
        "opinion_received_on": "意見書入手日",
        "committee_held_on": "認定審査会開催日",
        "certified_on": "二次判定日",
        "result_sent_on": "通知発送日",
        "closure": "取下却下区分",
        "closed_on": "取下却下日",
        "extension_expected_on": "処分見込日",
        "office_number": "事業所番号",
        "care_level": "要介護状態区分",
    },
    "vendor_b": {
        "処理番号": "受付番号",
        "insured_number": "被保険者ＮＯ",
        "applied_on": "受付日",
        "application_kind": "申請の種類",
        "survey_requested_on": "調査依頼日",
        "survey_scheduled_on": "調査予定日",
        "survey_done_on": "認定調査日",
        "opinion_requested_on": "意見書依頼日",
        "opinion_received_on": "主治医意見書入手日",
        "primary_judged_on": "一次判定年月日",
        "committee_scheduled_on": "介護認定審査会予定日",
        "committee_held_on": "審査会日",
        "certified_on": "認定年月日",
        "result_sent_on": "認定結果通知日",
        "closure": "取下・却下",
        "closed_on": "取下日",
        "extension_notified_on": "処理延期通知日",
        "extension_reason": "処理延期理由",
        "extension_expected_on": "認定見込日",
        "office_number": "計画作成事業所番号",
        "care_level": "認定結果",
    },
}
_ORDERS: dict[str, tuple[str, ...]] = {
    "default": _FIELDS,
    "vendor_a": ("処理番号", *_FIELDS[:3], "担当係", *_FIELDS[3:], "備考"),
    "vendor_b": (
        "処理番号",
        "insured_number",
        "地区",
        "applied_on",
        "application_kind",
        "office_number",
        *_FIELDS[3:13],
        "care_level",
        *_FIELDS[13:18],
        "備考",
    ),
}
_KIND_OUT = {
    "default": {code: code for code in KIND_WORDS},
    "vendor_a": KIND_WORDS,
    "vendor_b": {**KIND_WORDS, CHANGE: "区変"},
}
_LEVEL_OUT = {
    "default": {**{code: code for code in CARE_LEVELS}, "": ""},
    "vendor_a": {**LEVEL_WORDS, "": ""},
    "vendor_b": {**{code: code for code in CARE_LEVELS}, "": ""},
}
VENDORS = tuple(_ORDERS)
ENCODINGS = ("cp932", "utf-8-sig", "utf-8")
_TEAMS = ("認定第一係", "認定第二係", "認定第三係")
_NOTES = ("", "", "", "", "", "", "郵送受付", "窓口受付", "代理申請", "")
_AREAS = ("中央", "東部", "西部", "南部", "北部")
_LONG_WAREKI_EVERY = 7  # vendor_b writes every 7th row's dates as 令和7年2月6日


def vendor_header(vendor: str) -> list[str]:
    """The header row ``write_csv`` writes for ``vendor``."""
    names = _HEADERS[vendor]
    return [
        names.get(name) or (COLUMN_BY_FIELD[name].header if name in COLUMN_BY_FIELD else name)
        for name in _ORDERS[vendor]
    ]


def _short_wareki(value: date) -> str:
    era = next(e for e in reversed(ERAS) if e.start <= value)
    return f"{era.letter}{era.year_of(value):02d}.{value.month:02d}.{value.day:02d}"


def _seireki(value: date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def _compact(value: date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


_DATE_FORMATS: dict[str, Callable[[date], str]] = {"wareki": _short_wareki, "seireki": _seireki, "compact": _compact}
DATE_STYLES = tuple(_DATE_FORMATS)


class _Dates(dict[date | None, str]):
    """date → cell text, memoised (a file holds a few hundred distinct dates); None → ""."""

    def __init__(self, fmt: Callable[[date], str]) -> None:
        super().__init__({None: ""})
        self.fmt = fmt

    def __missing__(self, key: date | None) -> str:
        if key is None:  # seeded in __init__; here for the type checker
            return ""
        text = self[key] = self.fmt(key)
        return text


def write_csv(
    cases: Iterable[SyntheticCase],
    out: BinaryIO,
    *,
    vendor: str = "default",
    encoding: str = "cp932",
    date_style: str = "wareki",
) -> int:
    """Writes a header row and one row per case to ``out``, streaming; returns the number of data rows.

    ``vendor``: "default" (canonical headers, codes), "vendor_a" (aliases, 申請区分 and 要介護度 in
    words, extra columns 処理番号/担当係/備考), "vendor_b" (other aliases and order, 区分変更 as
    「区変」, extra columns 受付番号/地区/備考; with ``date_style="wareki"`` every 7th row spells
    its dates 令和7年2月6日). ``date_style``: "wareki" (R07.02.06), "seireki" (2025/02/06) or
    "compact" (20250206). ``encoding``: "cp932", "utf-8-sig" or "utf-8". Lines end in CRLF.
    ``out`` stays open.
    """
    if vendor not in _ORDERS:
        raise ValueError(f"unknown vendor {vendor!r}; expected one of {VENDORS}")
    if date_style not in _DATE_FORMATS:
        raise ValueError(f"unknown date_style {date_style!r}; expected one of {DATE_STYLES}")
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {ENCODINGS}")
    dates = _Dates(_DATE_FORMATS[date_style])
    long_dates = _Dates(format_wareki) if vendor == "vendor_b" and date_style == "wareki" else dates
    kinds = _KIND_OUT[vendor]
    levels = _LEVEL_OUT[vendor]
    closures = CLOSURE_WORDS
    names = _ORDERS[vendor]
    position = {name: i for i, name in enumerate((*_FIELDS, *_EXTRA_NAMES))}
    order = [position[name] for name in names]
    identity = order == list(range(len(_FIELDS)))
    pick = operator.itemgetter(*order)

    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(vendor_header(vendor))
        writerow = writer.writerow
        rows = 0
        for case in cases:
            rows += 1
            d = long_dates if rows % _LONG_WAREKI_EVERY == 0 else dates
            values = [
                case.insured_number,
                d[case.applied_on],
                kinds[case.application_kind],
                d[case.survey_requested_on],
                d[case.survey_scheduled_on],
                d[case.survey_done_on],
                d[case.opinion_requested_on],
                d[case.opinion_received_on],
                d[case.primary_judged_on],
                d[case.committee_scheduled_on],
                d[case.committee_held_on],
                d[case.certified_on],
                d[case.result_sent_on],
                closures[case.closure],
                d[case.closed_on],
                d[case.extension_notified_on],
                case.extension_reason,
                d[case.extension_expected_on],
                case.office_number,
                levels[case.care_level],
            ]
            if identity:
                writerow(values)
            else:
                # Extra columns vendors have and we ignore: a serial, a team, a note, an area.
                values += (f"{rows:08d}", _TEAMS[rows % 3], _NOTES[rows % 10], _AREAS[rows % 5])
                writerow(pick(values))
        text.flush()
    finally:
        text.detach()
    return rows
