"""Import a CSV export of the certification-support system for one insurer.

    manage.py import_cases --insurer 431007 export.csv [--dry-run]

Exit status 0 when imported (or, with --dry-run, when the file is valid), 1 when the file was
rejected; every problem is printed with its line and column. Suitable for a nightly cron job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shinchoku.cases.importing.service import cases_import_stream
from shinchoku.cases.models import ImportRun
from shinchoku.insurers.models import Insurer
from shinchoku.lib.identifiers import IdentifierError, check_insurer_number


class Command(BaseCommand):
    help = "認定支援システムから出力したCSVを取り込みます(1件でも誤りがあれば何も取り込みません)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--insurer", required=True, help="保険者番号(6桁)")
        parser.add_argument("file", type=Path, help="CSVファイル(CP932 または UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="検証だけ行い、取り込まない")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            number = check_insurer_number(options["insurer"]).value
        except IdentifierError as exc:
            raise CommandError(str(exc)) from exc
        insurer = Insurer.objects.filter(number=number, is_active=True).first()
        if insurer is None:
            raise CommandError(f"保険者番号 {number} の保険者は登録されていません。")
        path: Path = options["file"]
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {path}: {exc.strerror}") from exc
        with stream:
            # Streamed: a file of a million rows is never held in memory as a whole.
            outcome = cases_import_stream(
                actor=None,
                actor_label="manage.py import_cases",
                insurer=insurer,
                stream=stream,
                file_name=path.name,
                channel=ImportRun.Channel.COMMAND,
                dry_run=options["dry_run"],
            )
        run = outcome.run
        for warning in outcome.warnings:
            self.stderr.write(f"注意: {warning}")
        if not outcome.ok:
            for problem in outcome.problems:
                self.stderr.write(f"エラー: {problem}")
            if outcome.problem_count > len(outcome.problems):
                self.stderr.write(f"…ほか {outcome.problem_count - len(outcome.problems)} 件")
            raise CommandError(f"{outcome.problem_count}件の誤りがあるため、何も取り込みませんでした。")
        verb = "検証しました(取り込んでいません)" if options["dry_run"] else "取り込みました"
        self.stdout.write(
            f"{insurer.name}: {run.rows}行を{verb}。新規 {run.created}、更新 {run.updated}、"
            f"変更なし {run.unchanged}、うち完了・取下げ {run.closed}。"
        )
