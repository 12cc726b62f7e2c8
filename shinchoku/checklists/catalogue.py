"""The published versions of the checklist, as data files, and their loading into the database.

Each ``data/<code>.json`` holds one version, transcribed from its source (for 2026-04: seed 004,
the 手引き's checklist pages, kept verbatim in ``data/sources/``). Loading is idempotent: a
version already in the database is left alone when its file is unchanged, and refused when the
file was edited afterwards, since signed submissions point at its items. A revised checklist is
a new file with a new code (and a data migration that loads it, as ``0002`` does).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "data"
_CODE = re.compile(r"^[0-9]{4}-[0-9]{2}$")


class CatalogueError(ValueError):
    """A data file that is malformed, or that differs from the version already loaded."""


@dataclass(frozen=True)
class ItemData:
    number: int
    text: str
    reference: str


@dataclass(frozen=True)
class SectionData:
    number: int
    title: str
    items: tuple[ItemData, ...]


@dataclass(frozen=True)
class VersionData:
    code: str
    title: str
    published: str
    source: str
    introduction: tuple[str, ...]
    note_guidance: str
    sections: tuple[SectionData, ...]
    digest: str

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)


def _text(raw: dict[str, Any], key: str, where: str, *, blank: bool = False) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or (not blank and not value.strip()):
        raise CatalogueError(f"{where}: '{key}' must be a{'' if blank else ' non-empty'} string")
    return value


def _numbered(raw: Any, where: str, expected: int) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw != expected:
        raise CatalogueError(f"{where}: 'number' must be {expected} (numbered from 1 without gaps)")
    return raw


def parse_version(content: bytes, *, name: str) -> VersionData:
    """One version from the bytes of its data file; raises ``CatalogueError`` naming the place."""
    try:
        raw = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{name}: not UTF-8 JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"{name}: the top level must be an object")
    code = _text(raw, "code", name)
    if not _CODE.match(code) or Path(name).stem != code:
        raise CatalogueError(f"{name}: 'code' must be YYYY-MM and match the file name")
    introduction = raw.get("introduction", [])
    if not isinstance(introduction, list) or not all(isinstance(p, str) and p.strip() for p in introduction):
        raise CatalogueError(f"{name}: 'introduction' must be a list of paragraphs")
    sections: list[SectionData] = []
    raw_sections = raw.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise CatalogueError(f"{name}: 'sections' must be a non-empty list")
    for s, raw_section in enumerate(raw_sections, start=1):
        where = f"{name}: section {s}"
        if not isinstance(raw_section, dict):
            raise CatalogueError(f"{where}: must be an object")
        items: list[ItemData] = []
        raw_items = raw_section.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            raise CatalogueError(f"{where}: 'items' must be a non-empty list")
        for i, raw_item in enumerate(raw_items, start=1):
            item_where = f"{where}, item {i}"
            if not isinstance(raw_item, dict):
                raise CatalogueError(f"{item_where}: must be an object")
            items.append(
                ItemData(
                    number=_numbered(raw_item.get("number"), item_where, i),
                    text=_text(raw_item, "text", item_where),
                    reference=_text(raw_item, "reference", item_where, blank=True),
                )
            )
        sections.append(
            SectionData(
                number=_numbered(raw_section.get("number"), where, s),
                title=_text(raw_section, "title", where),
                items=tuple(items),
            )
        )
    return VersionData(
        code=code,
        title=_text(raw, "title", name),
        published=_text(raw, "published", name),
        source=_text(raw, "source", name),
        introduction=tuple(introduction),
        note_guidance=_text(raw, "note_guidance", name, blank=True),
        sections=tuple(sections),
        digest=hashlib.sha256(content).hexdigest(),
    )


def read_versions(directory: Path = DATA_DIR) -> list[VersionData]:
    """Every version file of ``directory``, oldest first."""
    return [parse_version(path.read_bytes(), name=path.name) for path in sorted(directory.glob("*.json"))]


@transaction.atomic
def install_versions(models: Any, versions: list[VersionData] | None = None) -> list[str]:
    """Loads the versions not yet in the database; returns the codes it loaded.

    ``models`` is an app registry (``django.apps.apps``, or the historical one a migration gets),
    so that a data migration and the tests share this code.
    """
    version_model = models.get_model("checklists", "ChecklistVersion")
    section_model = models.get_model("checklists", "ChecklistSection")
    item_model = models.get_model("checklists", "ChecklistItem")
    loaded: list[str] = []
    for data in read_versions() if versions is None else versions:
        existing = version_model.objects.filter(code=data.code).first()
        if existing is not None:
            if existing.digest != data.digest:
                raise CatalogueError(
                    f"checklist version {data.code} is already loaded from a different file: a published "
                    "version must not change (submissions point at its items); add a new version instead"
                )
            continue
        version = version_model.objects.create(
            code=data.code,
            title=data.title,
            published=data.published,
            source=data.source,
            introduction="\n\n".join(data.introduction),
            note_guidance=data.note_guidance,
            digest=data.digest,
        )
        for section in data.sections:
            row = section_model.objects.create(version=version, number=section.number, title=section.title)
            item_model.objects.bulk_create(
                item_model(section=row, number=item.number, text=item.text, reference=item.reference)
                for item in section.items
            )
        loaded.append(data.code)
    return loaded
