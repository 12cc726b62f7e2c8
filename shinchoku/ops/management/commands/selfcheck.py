"""One command an IT department runs after every deployment: is this installation safe to serve?

It runs Django's deployment checks together with shinchoku's own (shared cache, HTTPS, audit
triggers, mail), prints each finding in Japanese and exits non-zero if anything is wrong.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "本番運用に必要な安全設定を点検します(問題があれば終了コード 1)。"
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        found = checks.run_checks(include_deployment_checks=True, databases=["default"])
        serious = [m for m in found if m.level >= checks.WARNING and not m.is_silenced()]
        for message in serious:
            label = "NG" if message.level >= checks.ERROR else "注意"
            self.stdout.write(f"{label} [{message.id}] {message.msg}")
            if message.hint:
                self.stdout.write(f"    → {message.hint}")
        if serious:
            raise CommandError(f"点検で{len(serious)}件の問題が見つかりました。")
        self.stdout.write("OK: 本番運用に必要な安全設定はすべて満たされています。")
