"""Loads checklist version 2026-04 (seed 004) from ``checklists/data/2026-04.json``.

A later version gets a data file and a migration of its own like this one. Reversing deletes
nothing: signed submissions may point at the items.
"""

from typing import Any

from django.db import migrations

from shinchoku.checklists.catalogue import install_versions, read_versions

CODE = "2026-04"


def load(apps: Any, schema_editor: Any) -> None:
    install_versions(apps, [v for v in read_versions() if v.code == CODE])


class Migration(migrations.Migration):
    dependencies = [("checklists", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
