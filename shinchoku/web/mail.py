"""The service's own e-mails: rendered from a subject and a body template, sent without
letting a mail server's error text (which can name recipients) reach the logs."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def render_message(template: str, context: Mapping[str, Any], to: Sequence[str]) -> mail.EmailMessage:
    """``<template>_subject.txt`` (one line, with the subject prefix) and ``<template>_body.txt``.

    Recipients have no language setting, so a message is always in the service's language,
    whatever language the person who caused it uses.
    """
    with translation.override(settings.LANGUAGE_CODE):
        subject = "".join(render_to_string(f"{template}_subject.txt", context).splitlines()).strip()
        return mail.EmailMessage(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            body=render_to_string(f"{template}_body.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(to),
        )


def send_or_log(messages: Sequence[mail.EmailMessage], what: str) -> int:
    """Sends ``messages`` on one connection; returns how many were sent, 0 after a failure.

    For mail sent after what it reports has committed: the failure is logged with its type
    only and swallowed, because the change it tells of stands.
    """
    if not messages:
        return 0
    try:
        with mail.get_connection() as connection:
            return connection.send_messages(list(messages))
    except (smtplib.SMTPException, OSError) as exc:
        logger.error("%s: %d e-mails could not be sent (%s)", what, len(messages), type(exc).__name__)
        return 0
