"""Re-encrypt every 被保険者番号, second-factor secret and proof of designation under the active
data key (DESIGN T5).

    manage.py rotate_data_key [--batch-size 2000] [--max-batches N]

Procedure: put a new key first in SHINCHOKU_DATA_KEYS (keep the old one after it), restart the
app servers, run this command until it reports nothing left, then remove the old key and
restart again. Safe to interrupt and to run again: each batch commits on its own.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shinchoku.cases.rotation import (
    RotationError,
    RotationProgress,
    cases_rotate_data_key,
    stale_authenticators_exist,
    stale_cases_count,
)
from shinchoku.offices.proofs import stale_proofs_exist


class Command(BaseCommand):
    help = (
        "被保険者番号、二要素認証の秘密情報と指定通知書を、現在の暗号鍵(SHINCHOKU_DATA_KEYS の先頭)で暗号化し直します。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="1回のトランザクションで処理する件数")
        parser.add_argument("--max-batches", type=int, help="この回数のバッチで止める(残りは次回の実行で続ける)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size は1以上で指定してください。")
        ring = settings.DATA_KEYRING
        stale = stale_cases_count()
        self.stdout.write(
            f"現在の鍵ID: {ring.active_kid}(鍵束: {', '.join(ring.keys)})。"
            f"切替前の鍵で暗号化された認定申請: {stale:,}件。"
        )

        reported = 0

        def report(progress: RotationProgress) -> None:
            nonlocal reported
            if progress.total == reported:
                return  # a batch of second-factor rows that were all current already
            reported = progress.total
            self.stdout.write(
                f"  … 認定申請 {sum(progress.cases.values()):,}/{stale:,}件、"
                f"二要素認証 {sum(progress.authenticators.values()):,}件、"
                f"指定通知書 {sum(progress.proofs.values()):,}件を暗号化し直しました。"
            )

        try:
            total = cases_rotate_data_key(
                batch_size=options["batch_size"], max_batches=options["max_batches"], on_batch=report
            )
        except RotationError as exc:
            raise CommandError(
                f"{exc}。それまでのバッチは確定済みです。鍵束を確認してから再実行してください。"
            ) from exc
        left = stale_cases_count()
        mfa_left = stale_authenticators_exist() or stale_proofs_exist()
        if total == 0 and not left and not mfa_left:
            self.stdout.write("暗号化し直す必要のあるデータはありません(すべて現在の鍵です)。")
            return
        self.stdout.write(f"合計 {total:,}件を鍵ID {ring.active_kid} で暗号化し直しました。")
        if left or mfa_left:
            self.stdout.write(
                f"未処理の認定申請が {left:,}件{'、二要素認証の秘密情報か指定通知書も' if mfa_left else ''}残っています。"
                "もう一度実行してください。"
            )
        else:
            old = [kid for kid in ring.keys if kid != ring.active_kid]
            if old:
                self.stdout.write(
                    f"完了しました。SHINCHOKU_DATA_KEYS から古い鍵({', '.join(old)})を外して再起動できます"
                    "(バックアップの復元に備え、古い鍵は安全な場所に保管してください)。"
                )
            else:
                self.stdout.write("完了しました。")
