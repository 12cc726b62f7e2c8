"""Logging filter that masks anything shaped like a 被保険者番号 (defence in depth).

Code never logs an identifier on purpose; this catches the accident (an exception message,
a repr of a form) before it reaches a log file that operators and vendors can read.
"""

from __future__ import annotations

import logging
import re

# Ten characters, digits or a leading H, not part of a longer run of digits; full-width too, and
# a lower-case h, which check_insured_number accepts (it upper-cases after NFKC).
_INSURED_LIKE = re.compile(r"(?<![0-9０-９])[0-9０-９HＨhｈ][0-9０-９]{9}(?![0-9０-９])")
MASK = "[番号省略]"


def redact(text: str) -> str:
    return _INSURED_LIKE.sub(MASK, text)


class RedactIdentifiersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            well_formed = True
        except (TypeError, ValueError, KeyError):
            # A malformed call (``log.info("%d", "x")``): raising here would reach the caller,
            # and logging's own handleError would print the raw args to stderr. Log both, masked.
            message = f"{record.msg} {record.args!r}"
            well_formed = False
        redacted = redact(message)
        if redacted != message or not well_formed:
            record.msg = redacted
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        return True
