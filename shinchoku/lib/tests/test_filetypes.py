"""A proof of designation is judged by its bytes: signature and structure, never its name."""

from __future__ import annotations

import struct

import pytest

from shinchoku.lib.filetypes import DocumentType, Problem, UnsupportedDocument, sniff_document
from tests.documents import html_page, jpeg, pdf, png, windows_executable


def _problem(data: bytes) -> UnsupportedDocument:
    with pytest.raises(UnsupportedDocument) as refused:
        sniff_document(data)
    return refused.value


def test_it_recognises_a_pdf_a_png_and_a_jpeg() -> None:
    assert sniff_document(pdf()).type is DocumentType.PDF
    sniffed_png = sniff_document(png(640, 480))
    assert (sniffed_png.type, sniffed_png.width, sniffed_png.height) == (DocumentType.PNG, 640, 480)
    sniffed_jpeg = sniff_document(jpeg(1200, 1600))
    assert (sniffed_jpeg.type, sniffed_jpeg.width, sniffed_jpeg.height) == (DocumentType.JPEG, 1200, 1600)


def test_types_carry_the_content_type_and_extension_they_are_served_with() -> None:
    assert [(t.content_type, t.extension) for t in DocumentType] == [
        ("application/pdf", "pdf"),
        ("image/png", "png"),
        ("image/jpeg", "jpg"),
    ]
    assert DocumentType.from_content_type("image/png") is DocumentType.PNG
    with pytest.raises(ValueError, match="text/html"):
        DocumentType.from_content_type("text/html")


@pytest.mark.parametrize(
    "data",
    [html_page(), windows_executable(), b"just some text\n", b"GIF89a\x01\x00\x01\x00", b"PK\x03\x04zip"],
    ids=["html", "exe", "text", "gif", "zip"],
)
def test_anything_else_is_unknown(data: bytes) -> None:
    refused = _problem(data)
    assert refused.problem is Problem.UNKNOWN
    assert refused.claimed is None


def test_an_empty_file_is_empty() -> None:
    assert _problem(b"").problem is Problem.EMPTY


def test_html_after_whitespace_or_a_bom_is_still_unknown() -> None:
    assert _problem(b"\xef\xbb\xbf" + html_page()).problem is Problem.UNKNOWN
    assert _problem(b"  \n%PDF-1.4\n%%EOF").problem is Problem.UNKNOWN  # the header must come first


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        (b"%PDF-", DocumentType.PDF),  # no version
        (pdf()[:-200], DocumentType.PDF),  # cut short: no %%EOF at the end
        (pdf() + b"\x00" * 2048, DocumentType.PDF),  # %%EOF far from the end
        (b"%PDF-1.7\n<html><script>alert(1)</script></html>", DocumentType.PDF),  # header then HTML
        (png()[:-5], DocumentType.PNG),  # cut short
        (png() + b"<html></html>", DocumentType.PNG),  # a tail after IEND (polyglot)
        (png(0, 3), DocumentType.PNG),  # zero width
        (png()[:19] + b"\x05" + png()[20:], DocumentType.PNG),  # width 4 changed to 5: bad CRC
        (b"\x89PNG\r\n\x1a\n" + html_page(), DocumentType.PNG),  # signature then HTML
        (jpeg(end=False), DocumentType.JPEG),  # no end-of-image marker
        (jpeg()[:30], DocumentType.JPEG),  # cut inside a segment
        (jpeg(0, 8), DocumentType.JPEG),  # zero width
        (b"\xff\xd8\xff" + html_page(), DocumentType.JPEG),  # signature then HTML
    ],
    ids=[
        "pdf-no-version",
        "pdf-truncated",
        "pdf-eof-far",
        "pdf-html",
        "png-truncated",
        "png-tail",
        "png-zero",
        "png-crc",
        "png-html",
        "jpeg-no-eoi",
        "jpeg-truncated",
        "jpeg-zero",
        "jpeg-html",
    ],
)
def test_a_signature_without_the_structure_is_broken(data: bytes, claimed: DocumentType) -> None:
    refused = _problem(data)
    assert refused.problem is Problem.BROKEN
    assert refused.claimed is claimed


def test_a_jpeg_without_a_frame_header_is_broken() -> None:
    no_frame = b"\xff\xd8" + b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + b"\xff\xd9"
    assert _problem(no_frame).detail == "no frame header before the scan"


@pytest.mark.parametrize(
    "extra",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ",
        b"/OpenAction << /S /#4A#61vaScript /#4AS (app.alert(1)) >> ",  # the same, #xx-escaped
        b"/OpenAction << /S /Launch /F (cmd.exe) >> ",
        b"/Names << /EmbeddedFiles 6 0 R >> ",
        b"/AcroForm << /XFA 7 0 R >> ",
    ],
    ids=["javascript", "escaped-javascript", "launch", "embedded-files", "xfa"],
)
def test_a_pdf_that_would_act_when_opened_is_refused(extra: bytes) -> None:
    refused = _problem(pdf(extra=extra))
    assert refused.problem is Problem.ACTIVE_CONTENT
    assert refused.claimed is DocumentType.PDF


def test_names_inside_stream_data_are_not_mistaken_for_active_content() -> None:
    # Compressed page data can hold any bytes, "/JS" among them; only the dictionaries count.
    assert sniff_document(pdf(text="see /JS and /Launch in a drawing")).type is DocumentType.PDF


def test_a_plain_open_action_is_fine() -> None:
    # Setting the initial view is common in scanners' PDFs and runs nothing.
    assert sniff_document(pdf(extra=b"/OpenAction [3 0 R /Fit] ")).type is DocumentType.PDF


def test_jpeg_fill_bytes_before_a_marker_are_allowed() -> None:
    data = jpeg()
    padded = data[:2] + b"\xff\xff" + data[2:]  # fill bytes before the first segment's marker
    assert sniff_document(padded).type is DocumentType.JPEG
