"""Verify every audit chain; exit 1 and name the first broken link of each broken chain.

Run by auditors on demand and by cron daily (docs/operations.md). The run itself is audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shinchoku.audit.chain import verify
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.seals import SealError, check_seal, read_seal
from shinchoku.audit.services import audit_record


class Command(BaseCommand):
    help = "監査証跡のハッシュチェーンを検証し、壊れている最初の箇所を報告します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", action="append", help="検証するチェーン名(省略時はすべて)")
        parser.add_argument(
            "--seal",
            action="append",
            type=Path,
            default=[],
            help="audit_seal で作った封印ファイル(複数可)。末尾の削除・巻き戻しも検出します",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify(options["chain"])
        breaks = list(report.breaks)
        for path in options["seal"]:
            try:
                seal = read_seal(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise CommandError(f"封印ファイルを読めません: {path}: {exc.strerror}") from exc
            except SealError as exc:
                raise CommandError(f"{path}: {exc}") from exc
            sealed = check_seal(seal)
            breaks.extend(sealed.breaks)
            self.stdout.write(f"封印 {path.name}({sealed.sealed_at}、{sealed.chains}本)と照合しました。")
        audit_record(
            event_type=EventType.AUDIT_TRAIL_VERIFIED,
            actor_label="manage.py audit_verify",
            outcome=Outcome.SUCCESS if not breaks else Outcome.FAILURE,
            details={
                "chains": report.chains,
                "events": report.events,
                "seals": len(options["seal"]),
                "breaks": [str(b) for b in breaks][:20],
            },
        )
        if not breaks:
            self.stdout.write(
                f"OK: {report.chains}本のチェーン、{report.events}件の記録を検証しました。不整合はありません。"
            )
            return
        for broken in breaks:
            self.stderr.write(f"NG: {broken}")
        raise CommandError(f"監査証跡に不整合が{len(breaks)}件あります。")
