"""Identifiers of the long-term-care insurance system (DESIGN §3).

Input is normalised with NFKC (full-width digits and letters become ASCII) and stripped.
Check digits are *advisory*: no official care-insurance text fixes them, so a mismatch is a
warning for the person entering the number, never a rejection.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

INSURED_NUMBER_RE = re.compile(r"^[0-9H][0-9]{9}$")
INSURER_NUMBER_RE = re.compile(r"^[0-9]{6}$")
# Kind letters exclude I, O and Q, which read as digits.
OFFICE_NUMBER_RE = re.compile(r"^[0-9]{2}[0-9A-HJ-NPR-Z][0-9]{7}$")


@dataclass(frozen=True)
class Checked:
    """A normalised identifier; ``warning`` is set when its check digit does not match."""

    value: str
    warning: str | None = None


class IdentifierError(ValueError):
    """The identifier is malformed; the message is Japanese and safe to show."""


def normalize(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().upper()


def _digit_sum(n: int) -> int:
    return n // 10 + n % 10


def insurer_check_digit(first_five: str) -> int:
    """Weights 2,1,2,1,2 from the right; two-digit products have their digits summed."""
    total = 0
    for position, char in enumerate(reversed(first_five)):
        weight = 2 if position % 2 == 0 else 1
        total += _digit_sum(int(char) * weight)
    return (10 - total % 10) % 10


OFFICE_KIND_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def office_char_value(char: str) -> int:
    """Digits count as themselves; letters (no I, O, Q) count A=10, B=11, … Z=32."""
    return int(char) if char.isdigit() else OFFICE_KIND_LETTERS.index(char) + 10


def office_check_digit(first_nine: str) -> int:
    """Weights 2,1,… from the right; split two-digit products and sum."""
    total = 0
    for position, char in enumerate(reversed(first_nine)):
        weight = 2 if position % 2 == 0 else 1
        product = office_char_value(char) * weight
        total += sum(int(d) for d in str(product))
    return (10 - total % 10) % 10


def check_insurer_number(raw: str) -> Checked:
    value = normalize(raw)
    if not INSURER_NUMBER_RE.match(value):
        raise IdentifierError("保険者番号は6桁の数字で入力してください。")
    warning = None
    if insurer_check_digit(value[:5]) != int(value[5]):
        warning = "保険者番号の検査数字が一致しません。番号をご確認ください。"
    return Checked(value, warning)


def check_office_number(raw: str) -> Checked:
    value = normalize(raw)
    if not OFFICE_NUMBER_RE.match(value):
        raise IdentifierError("介護保険事業所番号は10桁で入力してください(3桁目のみ英大文字可、I・O・Qを除く)。")
    warning = None
    if office_check_digit(value[:9]) != int(value[9]):
        warning = "介護保険事業所番号の検査数字が一致しません。番号をご確認ください。"
    return Checked(value, warning)


def check_insured_number(raw: str) -> str:
    value = normalize(raw)
    if not INSURED_NUMBER_RE.match(value):
        raise IdentifierError("被保険者番号は10桁の数字(生活保護の方は先頭が H)で入力してください。")
    return value
