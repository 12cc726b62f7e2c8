"""Identifiers of DESIGN §3: examples worked by hand, and properties of the check-digit schemes."""

from __future__ import annotations

import itertools
import re
import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from shinchoku.lib.identifiers import (
    OFFICE_KIND_LETTERS,
    IdentifierError,
    check_insured_number,
    check_insurer_number,
    check_office_number,
    insurer_check_digit,
    office_char_value,
    office_check_digit,
)

DIGITS = string.digits
FULL_WIDTH = str.maketrans(
    DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
)

digit_strings = st.text(alphabet=DIGITS, min_size=1, max_size=1)
five_digits = st.text(alphabet=DIGITS, min_size=5, max_size=5)
six_digits = st.text(alphabet=DIGITS, min_size=6, max_size=6)
kind_chars = st.sampled_from(DIGITS + OFFICE_KIND_LETTERS)
office_prefixes = st.builds(
    lambda pref, kind, rest: pref + kind + rest,
    st.text(alphabet=DIGITS, min_size=2, max_size=2),
    kind_chars,
    six_digits,
)


def other_digit(digit: str, offset: int) -> str:
    """A digit different from ``digit`` (offset 1..9 picks which)."""
    return str((int(digit) + offset) % 10)


offsets = st.integers(min_value=1, max_value=9)


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


# ---------------------------------------------------------------------------------------------
# 保険者番号
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "city"), [("431007", "熊本市"), ("141002", "横浜市")])
def test_a_real_insurer_number_passes_without_warning(number: str, city: str) -> None:
    assert check_insurer_number(number).warning is None, city
    assert check_insurer_number(number).value == number


def test_the_local_government_code_is_not_an_insurer_number_and_warns() -> None:
    # 熊本市's 全国地方公共団体コード 431001 has a different check digit from its 保険者番号 431007.
    checked = check_insurer_number("431001")

    assert checked.value == "431001"
    assert checked.warning == "保険者番号の検査数字が一致しません。番号をご確認ください。"


def test_a_full_width_insurer_number_is_normalised_to_ascii() -> None:
    assert check_insurer_number("４３１００７") == check_insurer_number("431007")
    assert check_insurer_number(" ４３１００７\u3000").value == "431007"


def test_the_insurer_check_digit_follows_the_worked_examples() -> None:
    # 43100 → from the right 0×2, 0×1, 1×2, 3×1, 4×2 = 0+0+2+3+8 = 13 → (10 − 3) mod 10 = 7
    assert insurer_check_digit("43100") == 7
    # 14100 → 0+0+2+4+2 = 8 → 2
    assert insurer_check_digit("14100") == 2
    # 99999 → 9×2=18→1+8=9 (three times) + 9 + 9 = 45 → 5: two-digit products are split
    assert insurer_check_digit("99999") == 5
    # sum ending in 0 gives 0, not 10
    assert insurer_check_digit("00000") == 0


@pytest.mark.parametrize("raw", ["43100", "4310070", "43100A", "431 07", "", "４３１００", "-43100"])
def test_a_malformed_insurer_number_is_rejected_in_japanese(raw: str) -> None:
    with pytest.raises(IdentifierError, match="保険者番号は6桁の数字で入力してください。"):
        check_insurer_number(raw)


@given(five_digits)
def test_any_five_digits_with_their_check_digit_pass_without_warning(first_five: str) -> None:
    number = first_five + str(insurer_check_digit(first_five))

    assert check_insurer_number(number) == check_insurer_number(full_width(number))
    assert check_insurer_number(number).warning is None


@given(five_digits, offsets)
def test_any_other_last_digit_warns(first_five: str, offset: int) -> None:
    wrong = other_digit(str(insurer_check_digit(first_five)), offset)

    assert check_insurer_number(first_five + wrong).warning is not None


@given(five_digits, st.integers(min_value=0, max_value=4), offsets)
def test_every_single_digit_substitution_in_an_insurer_number_is_detected(
    first_five: str, position: int, offset: int
) -> None:
    number = first_five + str(insurer_check_digit(first_five))
    altered = number[:position] + other_digit(number[position], offset) + number[position + 1 :]

    assert check_insurer_number(altered).warning is not None


# ---------------------------------------------------------------------------------------------
# 介護保険事業所番号
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        # 131234567 → from the right 7×2=14→5, 6, 5×2=10→1, 4, 3×2=6, 2, 1×2=2, 3, 1×2=2 = 31 → 9
        "1312345679",
        # kind A=10, ×2 = 20 → 2, the same as digit 1 in that place → 9 again
        "13A2345679",
        # kind Z=32 (I, O, Q skipped), ×2 = 64 → 10: 31 − 2 + 10 = 39 → 1
        "13Z2345671",
    ],
)
def test_an_office_number_worked_by_hand_passes_without_warning(number: str) -> None:
    assert check_office_number(number) == check_office_number(full_width(number))
    assert check_office_number(number).warning is None


def test_kind_letters_count_from_ten_skipping_i_o_and_q() -> None:
    assert office_char_value("A") == 10
    assert office_char_value("H") == 17
    assert office_char_value("J") == 18
    assert office_char_value("P") == 23
    assert office_char_value("R") == 24
    assert office_char_value("Z") == 32
    assert len(OFFICE_KIND_LETTERS) == 23
    assert not set("IOQ") & set(OFFICE_KIND_LETTERS)


def test_a_mismatched_office_check_digit_warns_in_japanese() -> None:
    checked = check_office_number("1312345670")

    assert checked.value == "1312345670"
    assert checked.warning == "介護保険事業所番号の検査数字が一致しません。番号をご確認ください。"


@pytest.mark.parametrize("letter", ["I", "O", "Q", "i", "o", "q", "Ｉ", "ｏ"])
def test_i_o_and_q_are_refused_as_kind_letters(letter: str) -> None:
    with pytest.raises(IdentifierError, match="I・O・Qを除く"):
        check_office_number(f"13{letter}2345679")


@pytest.mark.parametrize(("raw", "value"), [("13a2345679", "13A2345679"), ("１３ａ２３４５６７９", "13A2345679")])
def test_a_lowercase_kind_letter_is_upper_cased(raw: str, value: str) -> None:
    assert check_office_number(raw) == check_office_number(value)
    assert check_office_number(raw).warning is None


@pytest.mark.parametrize(
    "raw",
    [
        "A312345679",  # letter in the prefecture
        "1312A45679",  # letter in the area
        "131234567A",  # letter as check digit
        "131234567",  # 9 characters
        "13123456790",  # 11 characters
        "13 2345679",
        "1312 345679",
        "",
    ],
)
def test_a_malformed_office_number_is_rejected_in_japanese(raw: str) -> None:
    with pytest.raises(IdentifierError, match="介護保険事業所番号は10桁で入力してください"):
        check_office_number(raw)


@given(office_prefixes)
@example("13A234567")
def test_any_valid_prefix_with_its_check_digit_passes_without_warning(prefix: str) -> None:
    number = prefix + str(office_check_digit(prefix))

    assert check_office_number(number).value == number
    assert check_office_number(number).warning is None
    assert check_office_number(full_width(number).lower()).value == number


@given(office_prefixes, offsets)
def test_any_altered_office_check_digit_warns(prefix: str, offset: int) -> None:
    wrong = other_digit(str(office_check_digit(prefix)), offset)

    assert check_office_number(prefix + wrong).warning is not None


@given(office_prefixes, st.integers(min_value=0, max_value=8), offsets)
def test_every_digit_for_digit_substitution_in_an_office_number_is_detected(
    prefix: str, position: int, offset: int
) -> None:
    # Holds in all nine places, the kind place included when it holds a digit: with weight 1 a
    # digit counts as itself, with weight 2 the split sums of 0,2,…,18 are 0,2,4,6,8,1,3,5,7,9 —
    # both are permutations of the ten digits, so no two digits collide modulo 10.
    assume(prefix[position].isdigit())
    number = prefix + str(office_check_digit(prefix))
    altered = number[:position] + other_digit(number[position], offset) + number[position + 1 :]

    assert check_office_number(altered).warning is not None


@given(office_prefixes, kind_chars)
def test_a_kind_substitution_goes_unnoticed_exactly_when_both_characters_count_alike(prefix: str, kind: str) -> None:
    assume(kind != prefix[2])
    number = prefix + str(office_check_digit(prefix))
    altered = number[:2] + kind + number[3:]

    def counted(char: str) -> int:  # the kind place carries weight 2 (seventh from the right)
        return sum(int(d) for d in str(office_char_value(char) * 2)) % 10

    assert (check_office_number(altered).warning is None) == (counted(kind) == counted(prefix[2]))


def test_a_letter_in_the_kind_place_can_be_mistaken_without_warning() -> None:
    # Not every single substitution is caught: 23 letters share 10 residues with the digits.
    # Of the 528 unordered pairs of the 33 kind characters, 39 go unnoticed — all involving a
    # letter (digit↔digit: 0). Documented here so nobody relies on the check digit for letters.
    chars = DIGITS + OFFICE_KIND_LETTERS

    def counted(char: str) -> int:
        return sum(int(d) for d in str(office_char_value(char) * 2)) % 10

    unnoticed = [(a, b) for a, b in itertools.combinations(chars, 2) if counted(a) == counted(b)]

    assert len(unnoticed) == 39
    assert not [(a, b) for a, b in unnoticed if a.isdigit() and b.isdigit()]
    assert ("1", "A") in unnoticed
    assert check_office_number("1312345679").warning is None
    assert check_office_number("13A2345679").warning is None


# ---------------------------------------------------------------------------------------------
# 被保険者番号
# ---------------------------------------------------------------------------------------------

INSURED_RE = re.compile(r"[0-9H][0-9]{9}")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0123456789", "0123456789"),
        ("H012345678", "H012345678"),
        ("h012345678", "H012345678"),
        ("０１２３４５６７８９", "0123456789"),
        ("Ｈ０１２３４５６７８", "H012345678"),
        ("ｈ０１２３４５６７８", "H012345678"),
        (" 0123456789\t", "0123456789"),
        ("\u30000123456789\u3000", "0123456789"),  # ideographic spaces around
    ],
)
def test_an_insured_number_is_accepted_and_normalised(raw: str, value: str) -> None:
    assert check_insured_number(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        "012345678",  # 9
        "01234567890",  # 11
        "H0123456789",  # H + 10
        "H01234567",  # H + 8
        "0H12345678",  # H elsewhere
        "012345678H",
        "A012345678",  # another letter
        "HH12345678",
        "01234 56789",  # space inside
        "01234\u300056789",  # ideographic space inside
        "01234-56789",
        "",
        "   ",
    ],
)
def test_a_malformed_insured_number_is_rejected_in_japanese(raw: str) -> None:
    with pytest.raises(
        IdentifierError, match=r"被保険者番号は10桁の数字\(生活保護の方は先頭が H\)で入力してください。"
    ):
        check_insured_number(raw)


insured_chars = st.sampled_from("0123456789０１２３４５６７８９")
insured_numbers = st.builds(
    lambda head, tail, before, after: before + head + "".join(tail) + after,
    st.sampled_from("0123456789０１２３４５６７８９HhＨｈ"),
    st.lists(insured_chars, min_size=9, max_size=9),
    st.sampled_from(["", " ", "\u3000", "\t", "\n"]),
    st.sampled_from(["", " ", "\u3000", "\r\n"]),
)


@given(insured_numbers)
def test_any_spelling_of_a_well_formed_insured_number_is_accepted(raw: str) -> None:
    value = check_insured_number(raw)

    assert INSURED_RE.fullmatch(value)
    assert value == check_insured_number(value)


@given(st.one_of(st.text(), st.text(alphabet="0123456789０１２Hhｈ Ａa\n\u3000-", max_size=14)))
@example("0123456789\n")
@example("012345678\n9")
def test_any_text_is_either_a_clean_insured_number_or_an_identifier_error(raw: str) -> None:
    try:
        value = check_insured_number(raw)
    except IdentifierError as exc:
        assert "被保険者番号" in str(exc)
    else:
        assert INSURED_RE.fullmatch(value), repr(value)


@given(st.text())
def test_any_text_gives_insurer_and_office_checks_only_identifier_errors(raw: str) -> None:
    for check in (check_insurer_number, check_office_number):
        try:
            checked = check(raw)
        except IdentifierError:
            continue
        assert checked.value.isascii()
        assert len(checked.value) in (6, 10)
