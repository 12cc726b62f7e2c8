from __future__ import annotations

import pytest

from tests.checklists import ensure_versions


@pytest.fixture(autouse=True)
def _versions(db: None) -> None:
    # Loaded by the data migration; again here, in case a transactional test flushed the tables.
    ensure_versions()
