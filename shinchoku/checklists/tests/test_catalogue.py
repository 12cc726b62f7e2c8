"""The checklist of seed 004 as data: every section and item of the 手引き's checklist pages,
word for word, loaded once and never changed afterwards.

The source pages are kept verbatim in ``data/sources/004-checklist-pages.txt``; where the seed
itself is on the machine (``/work/shared/seeds``, or ``SHINCHOKU_SEEDS_DIR``), the same checks
run against it, and the kept pages must be an exact part of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from django.apps import apps

from shinchoku.checklists.catalogue import DATA_DIR, CatalogueError, install_versions, parse_version, read_versions
from shinchoku.checklists.models import ChecklistItem, ChecklistSection, ChecklistVersion

pytestmark = pytest.mark.django_db

PAGES = DATA_DIR / "sources" / "004-checklist-pages.txt"
SEED_NAME = "004_099d34aac0667d7c.txt"
SEED = Path(os.environ.get("SHINCHOKU_SEEDS_DIR", "/work/shared/seeds")) / SEED_NAME
SEED_SHA256 = "5f9826fccabbc428520bbc7827d13cf401a452d560d53823699351beb30cf1bb"
CHECKBOX = '<input type="checkbox"/>'


def _checklist_pages(text: str) -> str:
    """The checklist pages of the 手引き: from their first heading to the page that follows them
    (in the seed) or the end (the kept pages)."""
    start = text.index("## 介護事業所における情報安全管理チェックリスト")
    end = text.find("## 介護情報基盤について", start)
    return text[start : end if end >= 0 else len(text)]


def _parse(pages: str) -> list[tuple[int, str, list[tuple[str, str]]]]:
    """(number, title, [(item text, 解説書等)]) per section, read from the pages' table rows.

    A section continued on the next page ("3. …(続き)") adds to the section it continues.
    """
    sections: list[tuple[int, str, list[tuple[str, str]]]] = []
    for line in pages.splitlines():
        heading = re.fullmatch(r"<b>(\d+)\. (.+?)</b>\t*", line)
        if heading:
            number, title = int(heading[1]), heading[2]
            if title.endswith("(続き)"):
                assert sections[-1][0] == number and title == sections[-1][1] + "(続き)"
            else:
                sections.append((number, title, []))
        elif line.startswith(CHECKBOX):
            cells = [c.strip() for c in line.removeprefix(CHECKBOX).split("\t") if c.strip()]
            assert len(cells) in {1, 2}, line  # the チェック結果補足 column is empty: the office fills it
            sections[-1][2].append((cells[0], cells[1] if len(cells) == 2 else ""))
    return sections


def _sources() -> list[pytest.param]:  # type: ignore[valid-type]
    return [
        pytest.param(PAGES, id="kept-pages"),
        pytest.param(
            SEED, id="seed-004", marks=pytest.mark.skipif(not SEED.exists(), reason=f"{SEED} is not on this machine")
        ),
    ]


@pytest.mark.parametrize("source", _sources())
def test_the_source_has_five_sections_and_twenty_one_items(source: Path) -> None:
    sections = _parse(_checklist_pages(source.read_text(encoding="utf-8")))
    assert [number for number, _, _ in sections] == [1, 2, 3, 4, 5]
    assert [len(items) for _, _, items in sections] == [5, 2, 5, 3, 6]
    assert sum(len(items) for _, _, items in sections) == 21
    # Counted a second way, so that a row the parser skipped cannot go unnoticed.
    assert _checklist_pages(source.read_text(encoding="utf-8")).count(CHECKBOX) == 21


@pytest.mark.parametrize("source", _sources())
def test_the_data_file_holds_every_section_and_item_of_the_source_word_for_word(source: Path) -> None:
    [version] = [v for v in read_versions() if v.code == "2026-04"]
    expected = _parse(_checklist_pages(source.read_text(encoding="utf-8")))

    got = [(s.number, s.title, [(i.text, i.reference) for i in s.items]) for s in version.sections]

    assert got == expected
    assert version.title == "介護事業所における情報安全管理チェックリスト"
    for paragraph in (*version.introduction, version.note_guidance):
        assert paragraph in source.read_text(encoding="utf-8")


@pytest.mark.skipif(not SEED.exists(), reason=f"{SEED} is not on this machine")
def test_the_kept_pages_are_an_exact_part_of_the_seed() -> None:
    seed = SEED.read_bytes()
    assert hashlib.sha256(seed).hexdigest() == SEED_SHA256
    assert PAGES.read_text(encoding="utf-8") in seed.decode("utf-8")


def test_the_migration_loaded_the_version_into_the_database() -> None:
    version = ChecklistVersion.objects.get(code="2026-04")
    assert version.published == "令和8年4月"
    assert "資料編" in version.source and "P.3-4" in version.source
    assert ChecklistSection.objects.filter(version=version).count() == 5
    items = ChecklistItem.objects.filter(section__version=version).select_related("section")
    assert items.count() == 21
    assert [i.label for i in items.filter(section__number=3)] == ["3-1", "3-2", "3-3", "3-4", "3-5"]
    first = items.get(section__number=1, number=1)
    assert first.text.startswith("原則、職員個人のスマートフォンやパソコンなどの端末で")
    assert first.reference == "「解説書」…P.5  「用語集」 ・無線LAN…P.21"
    assert version.note_guidance.startswith("「チェック結果補足」欄は、")


def test_loading_again_changes_nothing() -> None:
    before = ChecklistItem.objects.count()
    assert install_versions(apps) == []
    assert ChecklistItem.objects.count() == before == 21


def test_a_published_version_whose_file_changed_is_refused() -> None:
    [version] = read_versions()
    edited = replace(version, title=version.title + "(改)", digest="0" * 64)

    with pytest.raises(CatalogueError, match="must not change"):
        install_versions(apps, [edited])
    assert ChecklistVersion.objects.get(code="2026-04").title == version.title


def test_a_new_version_file_is_loaded_beside_the_old_one(tmp_path: Path) -> None:
    raw = json.loads((DATA_DIR / "2026-04.json").read_text(encoding="utf-8"))
    raw["code"] = "2027-04"
    raw["sections"][0]["items"][0]["text"] = "改訂された項目。"
    content = json.dumps(raw, ensure_ascii=False).encode()

    assert install_versions(apps, [parse_version(content, name="2027-04.json")]) == ["2027-04"]
    assert ChecklistItem.objects.filter(section__version__code="2027-04").count() == 21
    assert ChecklistItem.objects.filter(section__version__code="2026-04").count() == 21


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw.update(code="2026-4"), "YYYY-MM"),
        (lambda raw: raw["sections"][1].update(number=3), "section 2: 'number' must be 2"),
        (lambda raw: raw["sections"][2]["items"][4].update(number=6), "section 3, item 5: 'number' must be 5"),
        (lambda raw: raw["sections"][3]["items"][0].update(text=" "), "section 4, item 1: 'text'"),
        (lambda raw: raw["sections"][4].update(items=[]), "section 5: 'items'"),
        (lambda raw: raw.pop("source"), "'source'"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_place(change: object, message: str) -> None:
    raw = json.loads((DATA_DIR / "2026-04.json").read_text(encoding="utf-8"))
    change(raw)  # type: ignore[operator]

    with pytest.raises(CatalogueError, match=re.escape(message)):
        parse_version(json.dumps(raw, ensure_ascii=False).encode(), name="2026-04.json")
