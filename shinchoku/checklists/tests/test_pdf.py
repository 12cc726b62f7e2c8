"""The office's signed checklist as a PDF (issue 5 item 5, flow 5): WeasyPrint with Noto Sans CJK
JP embedded, every section and item with its answer and note, the signer, dates and page numbers;
downloading it is audited; the renderer can fetch nothing but data: URLs."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from shinchoku.accounts.models import User
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.checklists.catalogue import read_versions
from shinchoku.checklists.models import ChecklistItem, Choice, Submission
from shinchoku.checklists.pdf import fetcher, render_html
from shinchoku.checklists.services import AnswerInput, submission_sign, submission_start
from tests.checklists import all_answered
from tests.personas import Cast

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
TOKYO = ZoneInfo("Asia/Tokyo")
SIGNED = datetime(2026, 11, 23, 14, 5, tzinfo=TOKYO)
NOTE = "USBメモリは髙橋が管理①。<b>太字</b>にはしない"


def _flat(text: str) -> str:
    """Text without the line breaks and spaces a PDF layout adds."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def signed(cast: Cast) -> Submission:
    with time_machine.travel(SIGNED, tick=False):
        draft = submission_start(actor=cast.office_a_admin, copy_previous=False)
        answers = all_answered(draft)
        usb = ChecklistItem.objects.get(section__version=draft.version, section__number=4, number=1)
        answers[usb.pk] = AnswerInput(choice=Choice.PARTLY, note=NOTE)
        return submission_sign(actor=cast.office_a_admin, submission=draft, answers=answers)


@pytest.fixture
def download(cast: Cast, signed: Submission, sign_in: SignIn) -> Any:
    with time_machine.travel(datetime(2026, 11, 24, 9, 30, tzinfo=TOKYO), tick=False):
        return sign_in(cast.office_a_admin).get(reverse("checklists:submission_pdf", args=[signed.pk]))


def _reader(response: Any) -> PdfReader:
    return PdfReader(io.BytesIO(response.content))


def test_the_office_admin_downloads_a_pdf_named_after_the_office_and_day(download: Any) -> None:
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="checklist-4370100010-20261123.pdf"'
    assert download.content.startswith(b"%PDF-")
    assert download["Cache-Control"].startswith("no-store")


def test_the_pdf_holds_every_section_item_answer_and_note_in_japanese(download: Any, signed: Submission) -> None:
    reader = _reader(download)
    text = _flat("\n".join(page.extract_text() for page in reader.pages))

    [version] = [v for v in read_versions() if v.code == "2026-04"]
    assert _flat(version.title) in text
    for section in version.sections:
        assert _flat(f"{section.number}.{section.title}") in text
        for item in section.items:
            assert _flat(item.text) in text, f"{section.number}-{item.number} missing"
    assert _flat("みどり居宅介護支援事業所(4370100010)") in text
    assert _flat("2026-04(令和8年4月)") in text
    assert text.count("できている") == 21  # 20 × できている, and 一部できている once
    assert text.count("一部できている") == 1
    assert _flat(NOTE) in text  # typed markup is text, not markup
    assert _flat("office-a-admin(事業所管理者)") in text
    assert "2026/11/2314:05" in text and "2027/11/23まで" in text and "2026/11/2409:30" in text
    pages = len(reader.pages)
    assert pages >= 2
    for number in range(1, pages + 1):
        assert f"{number}/{pages}ページ" in _flat(reader.pages[number - 1].extract_text())


def test_the_japanese_font_is_embedded(download: Any) -> None:
    fonts: dict[str, bool] = {}
    for page in _reader(download).pages:
        resources: Any = page["/Resources"]  # pypdf types a dictionary's values loosely
        for reference in resources["/Font"].values():
            font = reference.get_object()
            descriptor = (
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                if "/DescendantFonts" in font
                else font["/FontDescriptor"]
            ).get_object()
            fonts[str(font["/BaseFont"])] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts, "no fonts"
    assert all(fonts.values()), fonts
    # Subsets ("ABCDEF+…") of Noto Sans CJK JP only: nothing left to the reader's fonts.
    assert all(re.fullmatch(r"/[A-Z]{6}\+Noto-Sans-CJK-JP(-Bold)?", name) for name in fonts), fonts


def test_the_download_is_audited(cast: Cast, download: Any, signed: Submission) -> None:
    [event] = AuditEvent.objects.filter(event_type=EventType.CHECKLISTS_SUBMISSION_DOWNLOADED)
    assert (event.actor, event.office, event.target_id) == (cast.office_a_admin, cast.office_a, str(signed.pk))
    assert event.details == {"version": "2026-04", "bytes": len(download.content)}


def test_the_renderer_fetches_data_urls_only_and_follows_no_redirect() -> None:
    guard = fetcher()
    for url in ("file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "https://example.com/x.css"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            guard.fetch(url)
    assert guard.fetch("data:text/plain,ok").read() == b"ok"
    assert not any(type(h).__name__ == "HTTPRedirectHandler" for h in guard.handlers)


def test_a_document_linking_to_local_files_renders_without_them(tmp_path: Any) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("p { display: none }", encoding="utf-8")
    html = (
        f'<html lang="ja"><head><link rel="stylesheet" href="file://{secret}"></head><body><p>見える</p></body></html>'
    )

    pdf = PdfReader(io.BytesIO(render_html(html)))

    assert "見える" in pdf.pages[0].extract_text()
