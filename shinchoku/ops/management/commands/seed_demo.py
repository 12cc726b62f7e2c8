"""Create (once) and print the synthetic demo tenants and accounts, and import a month of
synthetic cases for each demo insurer through the real importer. Development only; idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shinchoku.offices.models import CareOffice
from shinchoku.ops import demo


class Command(BaseCommand):
    help = (
        "デモ用の保険者・事業所・利用者(役割ごとに1人)を作成し、架空の認定申請(約1か月分)を"
        "取り込んで、ログイン情報を表示します。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("本番環境ではデモデータを作成できません。")
        credentials = demo.seed_accounts()
        try:
            imports = demo.seed_cases()
        except demo.DemoImportError as exc:
            raise CommandError(str(exc)) from exc
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
        self.stdout.write("-" * 78)
        self.stdout.write(" 架空の認定申請(実在の人の情報は含みません):")
        offices = dict(
            CareOffice.objects.filter(number__in=[n for i in imports for n in i.per_office]).values_list(
                "number", "name"
            )
        )
        for item in imports:
            run = item.run
            self.stdout.write(
                f"   {item.insurer.name}: {item.cases_total:,}件(今回の取込 {run.rows:,}行: 新規 {run.created:,}、"
                f"更新 {run.updated:,}、変更なし {run.unchanged:,})、{item.anchor.isoformat()} 時点のデータ"
            )
            for number, count in item.per_office.items():
                self.stdout.write(f"     {offices.get(number, number)}({number}): {count}件")
        self.stdout.write("=" * 78)
