"""Erase the cases kept past each insurer's retention limits, with an erasure record (DESIGN T9).

    manage.py purge_expired [--insurer 431007] [--today 2025-03-01]

Run once a day from cron; running it twice is harmless (the second run finds nothing and
writes no record). ``--today`` is for backfilling a missed day or for tests: the limits are
computed as of that date (which may not lie in the future).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shinchoku.cases.retention import cases_purge_expired
from shinchoku.insurers.models import Insurer
from shinchoku.lib.identifiers import IdentifierError, check_insurer_number

JOB = "manage.py purge_expired"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today は YYYY-MM-DD で指定してください: {value}") from exc


class Command(BaseCommand):
    help = "保存期間を過ぎた認定申請を消去し、消去記録を残します(毎日1回 cron で実行)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--insurer", help="この保険者番号(6桁)の保険者だけを対象にする")
        parser.add_argument("--today", help="基準日 YYYY-MM-DD(省略時は本日。過去日の再実行・試験用)")

    def handle(self, *args: Any, **options: Any) -> None:
        real_today = timezone.localdate()
        today = _date(options["today"]) if options["today"] else real_today
        if today > real_today:
            raise CommandError("未来の日付を基準日にはできません(まだ保存期間内のデータを消去してしまいます)。")
        job = JOB if today == real_today else f"{JOB} --today={today.isoformat()}"
        insurers = Insurer.objects.filter(is_active=True)
        if options["insurer"]:
            try:
                number = check_insurer_number(options["insurer"]).value
            except IdentifierError as exc:
                raise CommandError(str(exc)) from exc
            insurers = insurers.filter(number=number)
            if not insurers.exists():
                raise CommandError(f"保険者番号 {number} の保険者は登録されていないか、利用停止中です。")

        total = 0
        for insurer in insurers.order_by("number"):
            record = cases_purge_expired(insurer=insurer, today=today, job=job)
            policy = (
                f"決定・取下げ後 {insurer.retention_days_after_closure}日、"
                f"申請から最長 {insurer.retention_days_after_application}日"
            )
            if record is None:
                self.stdout.write(
                    f"{insurer}: 保存期間を過ぎた認定申請はありません(消去記録は作成しません)。[{policy}]"
                )
                continue
            total += record.deleted_count
            self.stdout.write(
                f"{insurer}: {record.deleted_count:,}件を消去しました"
                f"(申請日 {record.applied_from}〜{record.applied_to}、消去記録 #{record.pk})。[{policy}]"
            )
        self.stdout.write(f"基準日 {today.isoformat()}: 合計 {total:,}件を消去しました。")
