"""A signed checklist as a PDF (WeasyPrint, Noto Sans CJK JP embedded as a subset).

WeasyPrint fetches whatever a document links to. The document here is our own template, but it
holds text the office typed, so the fetcher allows ``data:`` URLs only and follows no redirect
(ecosystem.md; WeasyPrint 70 fixed a bypass of the fetcher, GHSA-jf6q-chmf-3h3v): no file of
the server and no address of the network can be reached from a rendering.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML, URLFetcher

from shinchoku.checklists import selectors
from shinchoku.checklists.models import Submission


def fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False)


def render_html(html: str) -> bytes:
    """PDF bytes of ``html``, tagged for screen readers, with no access outside the document."""
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=fetcher()).write_pdf(pdf_tags=True)
    return pdf


def render_submission(submission: Submission, *, generated_at: datetime) -> bytes:
    """The office's signed answers to every item of the version, with signer, dates and page numbers."""
    answers = selectors.answers_by_item(submission)
    sections = [
        (section, [(item, answers.get(item.pk)) for item in section.items.all()])
        for section in selectors.sections_of(submission.version)
    ]
    with translation.override(settings.LANGUAGE_CODE):  # a document of record: always Japanese
        html = render_to_string(
            "checklists/pdf.html",
            {
                "submission": submission,
                "office": submission.office,
                "version": submission.version,
                "sections": sections,
                "generated_at": generated_at,
                "service_name": settings.SERVICE_NAME,
            },
        )
    return render_html(html)
