"""What kind of document a file really is, judged from its bytes alone.

Proofs of designation (指定通知書) come from anyone who fills in the public registration form
and are later opened by an insurer's admin, so the file name and the browser's content type,
both chosen by the sender, are never trusted. A file is accepted as one of three kinds only
when it starts with that kind's signature and its structure holds together:

* PDF: ``%PDF-1.x`` or ``%PDF-2.x`` at the very start, ``%%EOF`` within the last 1,024 bytes
  (where every writer puts it, after an incremental update too), and none of the names that
  make a PDF act on its own when opened (scripts, launching programs, embedded files). Those
  names are found in their literal and ``#xx``-escaped spellings; inside compressed object
  streams they cannot be seen, so this lowers the risk rather than removing it — the file is
  still served only as a download.
* PNG: the 8-byte signature, ``IHDR`` first with a non-zero size, every chunk's CRC right,
  and ``IEND`` as the last bytes of the file (nothing appended: no polyglot tail).
* JPEG: ``FF D8 FF``, well-formed marker segments up to the start of scan, a frame header
  (SOF) with a non-zero size before it, and an end-of-image marker after it.
"""

from __future__ import annotations

import enum
import re
import struct
import zlib
from dataclasses import dataclass


class DocumentType(enum.Enum):
    PDF = ("application/pdf", "pdf")
    PNG = ("image/png", "png")
    JPEG = ("image/jpeg", "jpg")

    @property
    def content_type(self) -> str:
        return self.value[0]

    @property
    def extension(self) -> str:
        return self.value[1]

    @classmethod
    def from_content_type(cls, content_type: str) -> DocumentType:
        for member in cls:
            if member.content_type == content_type:
                return member
        raise ValueError(f"not a document type: {content_type!r}")


class Problem(enum.Enum):
    """Why a file was refused; the caller words it for people."""

    EMPTY = "empty"
    UNKNOWN = "unknown"  # no signature of an accepted kind (HTML, an .exe renamed, a text file …)
    BROKEN = "broken"  # the signature of an accepted kind, but not its structure (truncated, forged)
    ACTIVE_CONTENT = "active_content"  # a PDF that would run something when opened


class UnsupportedDocument(ValueError):
    def __init__(self, problem: Problem, detail: str = "", *, claimed: DocumentType | None = None) -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail
        self.claimed = claimed  # the kind whose signature the file starts with, if any


@dataclass(frozen=True)
class Sniffed:
    type: DocumentType
    width: int | None = None  # images only
    height: int | None = None


PDF_HEADER = re.compile(rb"\A%PDF-[12]\.[0-9]")
PDF_EOF_WINDOW = 1024
# Names that make a PDF do something by itself: run JavaScript, launch a program, carry files,
# play embedded media, or hold an XFA form (which runs scripts in some viewers).
PDF_ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"RichMedia", b"XFA", b"SubmitForm"}
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
# Stream bodies are skipped: compressed bytes would match names by chance (a 5 MB scan would
# refuse about one file in fifty for a random "/JS").
_PDF_STREAM = re.compile(rb"\bstream\r?\n.*?\bendstream", re.DOTALL)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"

JPEG_SOI = b"\xff\xd8\xff"
JPEG_EOI = b"\xff\xd9"
# Start-of-frame markers (C0–CF) except DHT (C4), JPG (C8) and DAC (CC), which share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_SOS = 0xDA
# Markers that stand alone, without a length: TEM and RST0–RST7.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def sniff_document(data: bytes) -> Sniffed:
    """The kind of ``data``; raises ``UnsupportedDocument`` saying why it is none of them."""
    if not data:
        raise UnsupportedDocument(Problem.EMPTY)
    for signature, kind, check in (
        (b"%PDF-", DocumentType.PDF, _check_pdf),
        (PNG_SIGNATURE, DocumentType.PNG, _check_png),
        (JPEG_SOI, DocumentType.JPEG, _check_jpeg),
    ):
        if data.startswith(signature):
            try:
                return check(data)
            except UnsupportedDocument as exc:
                raise UnsupportedDocument(exc.problem, exc.detail, claimed=kind) from None
    raise UnsupportedDocument(Problem.UNKNOWN)


def _check_pdf(data: bytes) -> Sniffed:
    if not PDF_HEADER.match(data):
        raise UnsupportedDocument(Problem.BROKEN, "no PDF version in the header")
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise UnsupportedDocument(Problem.BROKEN, "no %%EOF near the end")
    for match in _PDF_NAME.finditer(_PDF_STREAM.sub(b" ", data)):
        name = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in PDF_ACTIVE_NAMES:
            raise UnsupportedDocument(Problem.ACTIVE_CONTENT, name.decode("latin-1"))
    return Sniffed(DocumentType.PDF)


def _check_png(data: bytes) -> Sniffed:
    position = len(PNG_SIGNATURE)
    width = height = 0
    first = True
    while True:
        if position + 12 > len(data):
            raise UnsupportedDocument(Problem.BROKEN, "truncated chunk")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            raise UnsupportedDocument(Problem.BROKEN, "chunk runs past the end")
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise UnsupportedDocument(Problem.BROKEN, f"bad CRC in {kind!r}")
        if first:
            if kind != b"IHDR" or length != 13:
                raise UnsupportedDocument(Problem.BROKEN, "IHDR is not the first chunk")
            width, height = struct.unpack(">II", body[:8])
            if not width or not height:
                raise UnsupportedDocument(Problem.BROKEN, "zero size")
            first = False
        if kind == b"IEND":
            if end != len(data):
                raise UnsupportedDocument(Problem.BROKEN, "data after IEND")
            return Sniffed(DocumentType.PNG, width, height)
        position = end


def _jpeg_marker(data: bytes, position: int) -> tuple[int, int]:
    """The marker at ``position`` (after any 0xFF fill bytes) and the position after it."""
    if position >= len(data) or data[position] != 0xFF:
        raise UnsupportedDocument(Problem.BROKEN, "expected a marker")
    while position < len(data) and data[position] == 0xFF:
        position += 1
    if position >= len(data):
        raise UnsupportedDocument(Problem.BROKEN, "truncated marker")
    return data[position], position + 1


def _check_jpeg(data: bytes) -> Sniffed:
    position = 2
    size: tuple[int, int] | None = None
    while True:
        marker, position = _jpeg_marker(data, position)
        if marker in _JPEG_STANDALONE:
            continue
        if marker in {0x00, 0xD8, 0xD9}:
            raise UnsupportedDocument(Problem.BROKEN, f"unexpected marker {marker:#04x} before the scan")
        if position + 2 > len(data):
            raise UnsupportedDocument(Problem.BROKEN, "truncated segment")
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > len(data):
            raise UnsupportedDocument(Problem.BROKEN, "segment runs past the end")
        if marker in _JPEG_SOF:
            if length < 8:
                raise UnsupportedDocument(Problem.BROKEN, "short frame header")
            height, width = struct.unpack(">HH", data[position + 3 : position + 7])
            if not width or not height:
                raise UnsupportedDocument(Problem.BROKEN, "zero size")
            size = (width, height)
        position += length
        if marker == _JPEG_SOS:
            break
    if size is None:
        raise UnsupportedDocument(Problem.BROKEN, "no frame header before the scan")
    if data.find(JPEG_EOI, position) < 0:
        raise UnsupportedDocument(Problem.BROKEN, "no end-of-image marker")
    return Sniffed(DocumentType.JPEG, size[0], size[1])
