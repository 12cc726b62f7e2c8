"""Drops miss counters that no limit can see any more (database backend; Redis expires its own).

Idempotent; run daily from cron or a systemd timer (docs/operations.md, "Scheduled commands").
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from shinchoku.lookup.limits import miss_counter


class Command(BaseCommand):
    help = "照会の「該当なし」カウンタのうち、もう使われないものを削除します(毎日実行)。"

    def handle(self, *args: Any, **options: Any) -> None:
        removed = miss_counter().prune(now=timezone.now())
        self.stdout.write(f"削除したカウンタ: {removed}件")
