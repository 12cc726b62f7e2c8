"""Warn, then disable, accounts nobody has signed in to for a long time (DESIGN T3).

    manage.py disable_dormant [--dry-run]

Run once a day from cron or a systemd timer (docs/operations.md, "Scheduled commands"); the
rules are in ``accounts.dormancy``. Running it twice is harmless: the second run finds nobody
to warn or disable. ``--dry-run`` lists what a run would do and changes and sends nothing.
Accounts are named by id, role and tenant only: the journal is no place for names and addresses.
Exits with status 1 when a warning could not be sent (that account is tried again next run).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from shinchoku.accounts.dormancy import DormancyPolicy, dormant_accounts_process
from shinchoku.accounts.models import User


def _who(user: User) -> str:
    return f"#{user.pk} {user.get_role_display()}({user.tenant_name})"


class Command(BaseCommand):
    help = "長期間ログインのないアカウントに無効化の予告メールを送り、予告期間を過ぎたものを無効化します(毎日1回実行)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="対象を表示するだけで、変更もメール送信もしない")

    def handle(self, *args: Any, **options: Any) -> None:
        policy = DormancyPolicy.from_settings()
        dry_run: bool = options["dry_run"]
        run = dormant_accounts_process(policy=policy, now=timezone.now(), dry_run=dry_run)
        would = "予定" if dry_run else ""
        self.stdout.write(
            f"基準日 {run.today.isoformat()}: {policy.days}日間ログインのないアカウントを、"
            f"{policy.warning_days}日前に予告して無効化します。" + ("[試行: 変更・送信はしません]" if dry_run else "")
        )
        for user in run.disabled:
            self.stdout.write(f"無効化{would}: {_who(user)}")
        for user, deadline in run.warned:
            self.stdout.write(f"予告{would}: {_who(user)} → {deadline.isoformat()} に無効化")
        for user in run.failed:
            self.stdout.write(f"予告メール送信失敗: {_who(user)}(次回の実行で再送します)")
        if run.dormant_platform_admins:
            self.stdout.write(
                f"基盤管理者 {run.dormant_platform_admins}人が{policy.days}日以上ログインしていません"
                "(自動では無効化しません。不要なら手作業で無効化してください)。"
            )
        self.stdout.write(
            f"合計: 無効化{would} {len(run.disabled)}件、予告{would} {len(run.warned)}件"
            + (f"、予告メール送信失敗 {len(run.failed)}件" if run.failed else "")
            + "。"
        )
        if run.failed:
            raise CommandError(f"予告メールを {len(run.failed)}件送れませんでした(メールの設定を確認してください)。")
