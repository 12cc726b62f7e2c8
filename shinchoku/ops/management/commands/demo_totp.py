"""Print the current TOTP code of a demo account, for trying the demo without a phone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shinchoku.ops import demo


class Command(BaseCommand):
    help = "デモ用アカウントの現在のワンタイムコードを表示します(開発環境のみ)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("本番環境では使えません。")
        entry = demo._load_credentials().get(options["email"].strip().lower())
        if entry is None:
            raise CommandError("デモ用アカウントが見つかりません。先に make demo を実行してください。")
        self.stdout.write(demo.current_totp(entry["totp_secret"]))
