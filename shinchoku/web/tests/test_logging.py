"""The logging filter masks anything shaped like a 被保険者番号 before it reaches a log."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from shinchoku.web.logging import MASK, RedactIdentifiersFilter, redact


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger writing through a real StreamHandler that carries the filter, as settings do."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(RedactIdentifiersFilter())
    logger = logging.getLogger("shinchoku.tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.mark.parametrize(
    "number",
    [
        "0123456789",
        "H012345678",
        "h012345678",
        "０１２３４５６７８９",
        "Ｈ０１２３４５６７８",
        "ｈ０１２３４５６７８",
        "01234５６７８９",  # mixed widths
    ],
)
def test_it_masks_an_insured_number_in_any_spelling(number: str) -> None:
    assert redact(f"被保険者番号{number}の照会") == f"被保険者番号{MASK}の照会"
    assert redact(number) == MASK
    assert redact(f"a={number},b={number}") == f"a={MASK},b={MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "012345678",  # 9 digits
        "01234567890",  # 11 digits
        "20250206",  # a date
        "2025-02-06",
        "R07.02.06",
        "431007",  # 保険者番号
        "090-1234-5678",
        "０１２３４５６７８９０",  # 11 full-width
        "x012345678y",  # a letter other than H
    ],
)
def test_it_leaves_other_numbers_alone(text: str) -> None:
    assert redact(f"件数 {text} 件") == f"件数 {text} 件"


separators = st.text(alphabet=" 　、。:=,'\"()[]/-_件数号abcxyz", min_size=1, max_size=3)
digits = st.sampled_from("0123456789０１２３４５６７８９")


@given(
    separators,
    st.sampled_from([*"0123456789０１２３４５６７８９", "H", "Ｈ", "h", "ｈ"]),
    st.lists(digits, min_size=9, max_size=9),
    separators,
)
def test_any_ten_character_number_between_separators_is_masked(
    before: str, head: str, tail: list[str], after: str
) -> None:
    redacted = redact(before + head + "".join(tail) + after)

    assert redacted == before + MASK + after


@given(separators, st.lists(digits, min_size=1, max_size=30).filter(lambda run: len(run) != 10), separators)
def test_a_digit_run_of_any_other_length_is_left_alone(before: str, run: list[str], after: str) -> None:
    text = before + "".join(run) + after  # no separator is an H: 'H' + nine digits would count

    assert redact(text) == text


def test_it_masks_identifiers_passed_as_percent_args(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured

    logger.info("照会: %s (%s件)", "H012345678", 3)
    logger.warning("照会: %(number)s", {"number": "０１２３４５６７８９"})

    output = stream.getvalue()
    assert f"照会: {MASK} (3件)" in output
    assert f"照会: {MASK}" in output
    assert "012345678" not in output
    assert "０１２３４５６７８９" not in output


def test_it_masks_identifiers_inside_an_exception_traceback(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured

    def look_up(number: str) -> None:
        try:
            int(number)
        except ValueError as exc:
            raise LookupError(f"no case for {number}") from exc

    try:
        look_up("H012345678")
    except LookupError:
        logger.exception("lookup failed")

    output = stream.getvalue()
    assert "lookup failed" in output
    assert "Traceback (most recent call last)" in output
    assert f"LookupError: no case for {MASK}" in output
    assert f"ValueError: invalid literal for int() with base 10: '{MASK}'" in output  # the chained cause
    assert "012345678" not in output


def test_a_filtered_record_carries_the_masked_message_to_every_later_handler() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "番号 %s / %d", ("0123456789", 5), None)

    assert RedactIdentifiersFilter().filter(record) is True
    assert record.getMessage() == f"番号 {MASK} / 5"


def test_a_record_without_identifiers_is_left_untouched() -> None:
    args = ("2025-02-06", 12)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s: %d件", args, None)

    assert RedactIdentifiersFilter().filter(record) is True
    assert record.msg == "%s: %d件"
    assert record.args == args


def test_a_malformed_logging_call_neither_raises_nor_leaks(captured: tuple[logging.Logger, io.StringIO]) -> None:
    # Without care, the filter's getMessage() raises into the caller; and logging's own
    # handleError would print the raw args to stderr.
    logger, stream = captured

    logger.error("番号 %d", "0123456789")
    logger.error("%(missing)s", {"number": "0123456789"})

    output = stream.getvalue()
    assert output.count("ERROR") == 2
    assert "0123456789" not in output
    assert MASK in output


def test_the_configured_log_handler_carries_the_filter() -> None:
    logging_config = settings.LOGGING

    assert logging_config["filters"]["redact"]["()"] == "shinchoku.web.logging.RedactIdentifiersFilter"
    for name in logging_config["root"]["handlers"]:
        assert "redact" in logging_config["handlers"][name]["filters"]
    root_handlers = logging.getLogger().handlers
    assert any(isinstance(f, RedactIdentifiersFilter) for h in root_handlers for f in h.filters)
