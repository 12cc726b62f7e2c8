"""Write a synthetic export file of certification cases (for demos, tests and benchmarks).

    manage.py generate_cases --insurer 431007 --count 1000000 --as-of 2025-03-31 --seed 1 \
        [--vendor default|vendor_a|vendor_b] [--encoding cp932|utf-8-sig] \
        [--date-style wareki|seireki|compact] [--span-days 90] OUTPUT.csv

Streams: a million rows take a few seconds of memory-flat work. The same arguments always write
the same file. Every identifier in it is made up; nothing touches the database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shinchoku.lib.identifiers import IdentifierError, check_insurer_number
from shinchoku.lib.synthetic import DATE_STYLES, VENDORS, generate_cases, write_csv

_DATE_STYLE_NAMES = {"wareki": "和暦", "seireki": "西暦", "compact": "西暦8桁"}


class Command(BaseCommand):
    help = "架空の認定申請データ(取込ファイルと同じ形式のCSV)を作成します。実在の人の情報は含みません。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="書き出すCSVファイル")
        parser.add_argument("--insurer", required=True, help="保険者番号(6桁)")
        parser.add_argument("--count", type=int, required=True, help="申請の件数")
        parser.add_argument("--as-of", help="この日の終わりの時点の状態で出力(YYYY-MM-DD、省略時は本日)")
        parser.add_argument("--seed", type=int, default=0, help="乱数の種(同じ種なら同じファイル)")
        parser.add_argument("--span-days", type=int, default=90, help="申請日の範囲(基準日までの日数)")
        parser.add_argument("--vendor", choices=VENDORS, default="default", help="列名・並び・区分の書き方")
        parser.add_argument("--encoding", choices=("cp932", "utf-8-sig"), default="cp932", help="文字コード")
        parser.add_argument("--date-style", choices=DATE_STYLES, default="wareki", help="日付の書き方")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checked = check_insurer_number(options["insurer"])
        except IdentifierError as exc:
            raise CommandError(str(exc)) from exc
        if checked.warning:
            self.stderr.write(f"注意: {checked.warning}")
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--as-of は YYYY-MM-DD で指定してください: {options['as_of']}") from exc
        count: int = options["count"]
        if count < 0:
            raise CommandError("--count は0以上で指定してください。")
        output: Path = options["output"]
        # Write beside the target and rename at the end: an interrupted run leaves no half file.
        partial = output.with_name(output.name + ".part")
        try:
            cases = generate_cases(
                insurer_number=checked.value,
                count=count,
                as_of=as_of,
                seed=options["seed"],
                span_days=options["span_days"],
            )
            with partial.open("wb") as out:
                rows = write_csv(
                    cases,
                    out,
                    vendor=options["vendor"],
                    encoding=options["encoding"],
                    date_style=options["date_style"],
                )
            partial.replace(output)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"ファイルに書き出せません: {output}: {exc.strerror}") from exc
        finally:
            partial.unlink(missing_ok=True)  # gone already after the rename; a leftover otherwise
        self.stdout.write(
            f"保険者番号 {checked.value} の架空の認定申請 {rows:,}件を {output} に書き出しました"
            f"(基準日 {as_of.isoformat()}、{options['vendor']}、{options['encoding']}、"
            f"{_DATE_STYLE_NAMES[options['date_style']]})。"
        )
