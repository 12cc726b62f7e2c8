"""Remind care offices that their security checklist expires soon, or has expired.

    manage.py remind_checklists [--dry-run]

Run once a day from cron or a systemd timer (docs/operations.md, "Scheduled commands"); the
rules are in ``checklists.reminders``. Running it twice is harmless: each reminder is sent
once per signed checklist. ``--dry-run`` lists what a run would send and sends nothing.
Exits with status 1 when a reminder could not be sent (it is tried again on the next run).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shinchoku.checklists.models import Submission
from shinchoku.checklists.reminders import Kind, reminders_process

KIND_LABELS = {Kind.BEFORE_EXPIRY: "期限前の通知", Kind.EXPIRED: "期限切れの通知"}


def _what(submission: Submission) -> str:
    until = submission.valid_until.isoformat() if submission.valid_until else "-"
    return f"{submission.office}({submission.version.code}版、{until}まで有効、#{submission.pk})"


class Command(BaseCommand):
    help = "情報安全管理チェックリストの有効期限の30日前と期限切れの日に、事業所の管理者へメールで知らせます(毎日1回実行)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="対象を表示するだけで、記録もメール送信もしない")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        run = reminders_process(now=timezone.now(), dry_run=dry_run)
        would = "予定" if dry_run else ""
        self.stdout.write(
            f"基準日時 {timezone.localtime(run.now):%Y-%m-%d %H:%M}: チェックリストの有効期限の30日前と期限切れの後に、"
            "事業所の管理者へ1回ずつ通知します。" + ("[試行: 記録・送信はしません]" if dry_run else "")
        )
        for submission, kind, recipients in run.sent:
            self.stdout.write(f"{KIND_LABELS[kind]}{would}: {_what(submission)} → {recipients}人")
        for submission, kind in run.no_recipients:
            self.stdout.write(
                f"{KIND_LABELS[kind]}の宛先なし: {_what(submission)}(有効な事業所管理者がいません。次回の実行で再度確認します)"
            )
        for submission, kind in run.failed:
            self.stdout.write(f"{KIND_LABELS[kind]}の送信失敗: {_what(submission)}(次回の実行で再送します)")
        self.stdout.write(
            f"合計: 期限前の通知{would} {run.count(Kind.BEFORE_EXPIRY)}件、期限切れの通知{would} {run.count(Kind.EXPIRED)}件"
            + (f"、送信失敗 {len(run.failed)}件" if run.failed else "")
            + "。"
        )
        if run.failed:
            raise CommandError(f"通知メールを {len(run.failed)}件送れませんでした(メールの設定を確認してください)。")
