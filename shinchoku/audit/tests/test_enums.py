"""The two vocabularies every feature extends stay sorted and well-formed (CONVENTIONS.md)."""

from __future__ import annotations

import re

import pytest

from shinchoku.accounts.permissions import Permission
from shinchoku.audit.events import EventType

SHAPE = re.compile(r"^[a-z_]+:[a-z_]+:[a-z_]+$")


@pytest.mark.parametrize(
    "values", [list(EventType.values), [p.value for p in Permission]], ids=["events", "permissions"]
)
def test_values_are_scope_subject_verb_and_alphabetised(values: list[str]) -> None:
    assert all(SHAPE.match(value) for value in values), [v for v in values if not SHAPE.match(v)]
    assert values == sorted(values)
    assert len(values) == len(set(values))


def test_every_event_type_has_a_label_distinct_from_its_code() -> None:
    assert all(str(label) and str(label) != value for value, label in EventType.choices)
