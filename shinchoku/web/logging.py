"""Logging filter that masks anything shaped like a 被保険者番号 (defence in depth).

Code never logs an identifier on purpose; this catches the accident (an exception message,
a repr of a form) before it reaches a log file that operators and vendors can read.
"""

from __future__ import annotations

import logging
import re

# Ten characters, digits or a leading H, not part of a longer run of digits; full-width too.
_INSURED_LIKE = re.compile(r"(?<![0-9０-９])[0-9０-９HＨ][0-9０-９]{9}(?![0-9０-９])")
MASK = "[番号省略]"


def redact(text: str) -> str:
    return _INSURED_LIKE.sub(MASK, text)


class RedactIdentifiersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        return True
