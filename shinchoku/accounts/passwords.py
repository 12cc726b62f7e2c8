"""Password rules after NIST SP 800-63B-4 §3.1.1 and ASVS 5.0 V6.2.

Length and a blocklist, no composition rules: at least 13 characters (ASVS 6.2.1 asks 8, our
users guard health data of thousands, and passphrases are easy to type), up to 128 (63B asks
to allow at least 64), any character including spaces and Japanese, paste allowed. Rejected
when common or built from words an attacker would try first for this person.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import (
    CommonPasswordValidator as DjangoCommon,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# Words every attacker tries against this particular service, on top of the insurer, office
# and login ID of the person (normalised, compared case-insensitively).
SERVICE_WORDS = (
    "shinchoku",
    "shintyoku",
    "kaigo",
    "nintei",
    "caremanager",
    "keamane",
    "kumamoto",
    "password",
    "進捗",
    "介護",
    "認定",
    "ケアマネ",
    "パスワード",
)
_MIN_CONTEXT_WORD = 4


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


def _is_meaningful(folded_word: str) -> bool:
    """Short Latin fragments ("a", "jp") would reject good passwords; two kanji already mean a word."""
    if folded_word.isascii():
        return len(folded_word) >= _MIN_CONTEXT_WORD
    return len(folded_word) >= 2


class LengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        length = len(password)
        if length < settings.PASSWORD_MIN_LENGTH:
            raise ValidationError(
                gettext(
                    "パスワードが短すぎます。%(min)d文字以上にしてください(いま%(length)d文字)。"
                    "覚えやすい言葉をいくつか並べた長い文が安全です。"
                ),
                code="password_too_short",
                params={"min": settings.PASSWORD_MIN_LENGTH, "length": length},
            )
        if length > settings.PASSWORD_MAX_LENGTH:
            raise ValidationError(
                gettext("パスワードが長すぎます。%(max)d文字以内にしてください。"),
                code="password_too_long",
                params={"max": settings.PASSWORD_MAX_LENGTH},
            )

    def get_help_text(self) -> str:
        return gettext(
            "%(min)d文字以上%(max)d文字以内。記号や数字を混ぜる必要はありません。長い文(パスフレーズ)がおすすめです。"
        ) % {"min": settings.PASSWORD_MIN_LENGTH, "max": settings.PASSWORD_MAX_LENGTH}


@cache
def _common_passwords() -> frozenset[str]:
    # Django ships the list (lower-cased, gzip) and loads it in its validator's constructor.
    return frozenset(DjangoCommon().passwords)


class CommonPasswordValidator:
    """Django's list of 20,000 common passwords, also matched once spaces and width are folded."""

    def validate(self, password: str, user: Any = None) -> None:
        folded = _fold(password)
        if folded in _common_passwords() or len(set(folded)) <= 2:
            raise ValidationError(
                gettext("よく使われているパスワード、または同じ文字の繰り返しです。推測されにくいものにしてください。"),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return gettext("よく使われているパスワードは使えません。")


class ContextWordsValidator:
    """Rejects passwords containing the service name or the person's own context."""

    def _context_words(self, user: Any) -> list[str]:
        words = list(SERVICE_WORDS)
        if user is None:
            return words
        email = getattr(user, "email", "") or ""
        local = email.split("@", 1)[0]
        words += [email, local]
        for attr in ("insurer", "office"):
            tenant = getattr(user, attr, None) if getattr(user, f"{attr}_id", None) else None
            if tenant is not None:
                words += [tenant.name, tenant.number]
        return words

    def validate(self, password: str, user: Any = None) -> None:
        folded = _fold(password)
        for word in self._context_words(user):
            if _is_meaningful(_fold(word)) and _fold(word) in folded:
                raise ValidationError(
                    gettext(
                        "パスワードにサービス名・所属名・ログインIDなど推測されやすい語(%(word)s)が含まれています。"
                    ),
                    code="password_has_context_word",
                    params={"word": word},
                )

    def get_help_text(self) -> str:
        return gettext("サービス名・所属する保険者や事業所の名前・ログインIDを含めないでください。")
