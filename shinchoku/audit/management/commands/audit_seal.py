"""Write a seal of the audit chains to a file outside the database (run hourly by cron).

Keep the files where a database administrator cannot change them: another host, the
auditors' mailbox, the encrypted backup (docs/operations.md). `audit_verify --seal FILE`
checks the database against one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from shinchoku.audit.events import EventType
from shinchoku.audit.seals import make_seal
from shinchoku.audit.services import audit_record


class Command(BaseCommand):
    help = "監査証跡の各チェーンの先頭(連番とハッシュ)を、データベースの外のファイルに封印します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="封印ファイルを書き出すディレクトリ")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.is_dir():
            raise CommandError(f"ディレクトリがありません: {out}")
        with transaction.atomic():
            seal = make_seal()
            record = audit_record(
                event_type=EventType.AUDIT_TRAIL_SEALED,
                actor_label="manage.py audit_seal",
                details={"chains": len(seal["heads"]), "mac": seal["mac"][:16]},
            )
        name = f"audit-seal-{record.occurred_at:%Y%m%dT%H%M%S}Z-{seal['mac'][:8]}.json"
        target = out / name
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(seal, handle, ensure_ascii=False, indent=1, sort_keys=True)
        self.stdout.write(f"封印しました: {target}({len(seal['heads'])}本のチェーン)")
