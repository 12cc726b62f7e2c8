"""Create (once) and print the synthetic demo tenants and accounts. Development only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shinchoku.ops import demo


class Command(BaseCommand):
    help = "デモ用の保険者・事業所・利用者(役割ごとに1人)を作成し、ログイン情報を表示します。"

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("本番環境ではデモデータを作成できません。")
        credentials = demo.seed()
        self.stdout.write("")
        self.stdout.write("=" * 78)
        self.stdout.write(" デモ専用のログイン情報(この端末だけで有効。本番では絶対に使わないこと)")
        self.stdout.write(" DEMO ONLY — generated on this machine, never valid anywhere else")
        self.stdout.write("=" * 78)
        for email, entry in credentials.items():
            self.stdout.write(f" {entry['role']:<12} {email}")
            self.stdout.write(
                f"              パスワード: {entry['password']}   TOTPシークレット: {entry['totp_secret']}"
            )
        self.stdout.write("-" * 78)
        self.stdout.write(" 認証アプリにシークレットを登録するか、次のコマンドで現在のコードを表示できます:")
        self.stdout.write("   make demo-code EMAIL=kumamoto.staff@demo.shinchoku.example")
        self.stdout.write(f" 保存先: {demo.credentials_path()}")
        self.stdout.write("=" * 78)
