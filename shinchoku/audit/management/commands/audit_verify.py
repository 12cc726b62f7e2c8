"""Verify every audit chain; exit 1 and name the first broken link of each broken chain.

Run by auditors on demand and by cron daily (docs/operations.md). The run itself is audited.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shinchoku.audit.chain import verify
from shinchoku.audit.events import EventType, Outcome
from shinchoku.audit.services import audit_record


class Command(BaseCommand):
    help = "監査証跡のハッシュチェーンを検証し、壊れている最初の箇所を報告します。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", action="append", help="検証するチェーン名(省略時はすべて)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify(options["chain"])
        audit_record(
            event_type=EventType.AUDIT_TRAIL_VERIFIED,
            actor_label="manage.py audit_verify",
            outcome=Outcome.SUCCESS if report.ok else Outcome.FAILURE,
            details={
                "chains": report.chains,
                "events": report.events,
                "breaks": [str(b) for b in report.breaks][:20],
            },
        )
        if report.ok:
            self.stdout.write(
                f"OK: {report.chains}本のチェーン、{report.events}件の記録を検証しました。不整合はありません。"
            )
            return
        for broken in report.breaks:
            self.stderr.write(f"NG: {broken}")
        raise CommandError(f"監査証跡に不整合が{len(report.breaks)}件あります。")
