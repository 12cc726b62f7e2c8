"""Certification cases (認定申請) of an insurer, their imports and their erasure.

The 被保険者番号 is never stored in plaintext: ``insured_number_enc`` holds it encrypted with
AES-256-GCM under the data key ring (key id inside the token, AAD = the insurer number), and
``insured_index`` is a keyed HMAC of insurer number + 被保険者番号 under a separate key, so a case
can be found by number without decrypting every row, and the same person has unrelated
indexes at two insurers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.cases.codes import ApplicationKind, CareLevel, Closure, Source
from shinchoku.cases.importing.columns import DATE_FIELDS
from shinchoku.insurers.models import Insurer

# Every date column of an import file except the application date, in the same order: the
# staging table, the merge and corrections all walk this one list.
MILESTONE_FIELDS: tuple[str, ...] = tuple(field for field in DATE_FIELDS if field != "applied_on")


class ImportRun(models.Model):
    """One file or batch offered for import: who, what, when, and what came of it."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("取込完了")
        REJECTED = "rejected", _("エラーのため取込なし")
        DRY_RUN = "dry_run", _("検証のみ(取込なし)")

    class Channel(models.TextChoices):
        UPLOAD = "upload", _("画面からのアップロード")
        COMMAND = "command", _("管理コマンド")
        API = "api", "API"

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="import_runs")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("実行者"), max_length=254)
    channel = models.CharField(_("経路"), max_length=16, choices=Channel.choices)
    file_name = models.CharField(_("ファイル名"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("ファイルのSHA-256"), max_length=64, blank=True)
    encoding = models.CharField(_("文字コード"), max_length=16, blank=True)
    status = models.CharField(_("結果"), max_length=16, choices=Status.choices)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    created = models.PositiveIntegerField(_("新規"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("変更なし"), default=0)
    closed = models.PositiveIntegerField(_("完了・取下げ"), default=0)
    error_count = models.PositiveIntegerField(_("エラー数"), default=0)
    started_at = models.DateTimeField(_("開始"))
    finished_at = models.DateTimeField(_("終了"))

    class Meta:
        verbose_name = _("取込履歴")
        verbose_name_plural = pgettext_lazy("plural", "取込履歴")
        indexes = [models.Index(fields=["insurer", "-started_at"], name="import_run_insurer_time")]

    def __str__(self) -> str:
        return f"{self.insurer.number} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class Case(models.Model):
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="cases")
    insured_index = models.CharField(max_length=64)
    insured_number_enc = models.TextField()
    applied_on = models.DateField(_("申請日"))
    application_kind = models.CharField(_("申請区分"), max_length=1, choices=ApplicationKind.choices)

    survey_requested_on = models.DateField(_("認定調査 依頼日"), null=True, blank=True)
    survey_scheduled_on = models.DateField(_("認定調査 予定日"), null=True, blank=True)
    survey_done_on = models.DateField(_("認定調査 実施日"), null=True, blank=True)
    opinion_requested_on = models.DateField(_("主治医意見書 依頼日"), null=True, blank=True)
    opinion_received_on = models.DateField(_("主治医意見書 受領日"), null=True, blank=True)
    primary_judged_on = models.DateField(_("一次判定日"), null=True, blank=True)
    committee_scheduled_on = models.DateField(_("介護認定審査会 予定日"), null=True, blank=True)
    committee_held_on = models.DateField(_("介護認定審査会 開催日"), null=True, blank=True)
    certified_on = models.DateField(_("認定日(二次判定)"), null=True, blank=True)
    result_sent_on = models.DateField(_("結果通知 発送日"), null=True, blank=True)
    closure = models.CharField(_("取下げ・却下"), max_length=16, choices=Closure.choices, blank=True)
    closed_on = models.DateField(_("取下げ・却下日"), null=True, blank=True)
    extension_notified_on = models.DateField(_("延期通知日"), null=True, blank=True)
    extension_reason = models.CharField(_("延期理由"), max_length=200, blank=True)
    extension_expected_on = models.DateField(_("延期見込日"), null=True, blank=True)
    office_number = models.CharField(_("居宅介護支援事業所番号"), max_length=10, blank=True)
    care_level = models.CharField(_("要介護度"), max_length=2, choices=CareLevel.choices, blank=True)

    content_digest = models.CharField(max_length=64)
    source = models.CharField(_("更新元"), max_length=16, choices=Source.choices)
    last_import = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("最終更新日時"))

    class Meta:
        verbose_name = _("認定申請")
        verbose_name_plural = pgettext_lazy("plural", "認定申請")
        constraints = [
            models.UniqueConstraint(
                fields=["insurer", "insured_index", "applied_on", "application_kind"], name="case_natural_key"
            ),
            models.CheckConstraint(name="case_closure_has_date", condition=Q(closure="") | Q(closed_on__isnull=False)),
        ]
        # Lookups by number use the natural-key index (its prefix is insurer, insured_index).
        indexes = [
            models.Index(fields=["insurer", "office_number"], name="case_insurer_office"),
            models.Index(fields=["insurer", "applied_on"], name="case_insurer_applied"),
        ]

    def __str__(self) -> str:
        # Never the number: this string can reach logs and the admin.
        return f"認定申請 #{self.pk} ({self.insurer.number}, {self.applied_on})"

    @property
    def is_closed(self) -> bool:
        return bool(self.closure) or self.certified_on is not None


class ColumnMapping(models.Model):
    """Extra header names one insurer's system uses for a field (on top of the built-in aliases)."""

    insurer = models.ForeignKey(Insurer, on_delete=models.CASCADE, related_name="column_mappings")
    field = models.CharField(_("項目"), max_length=40)
    header = models.CharField(_("列名"), max_length=100)

    class Meta:
        verbose_name = _("列名の対応")
        verbose_name_plural = pgettext_lazy("plural", "列名の対応")
        constraints = [models.UniqueConstraint(fields=["insurer", "header"], name="column_mapping_unique_header")]

    def __str__(self) -> str:
        return f"{self.header} → {self.field}"


class ErasureRecord(models.Model):
    """消去記録 (seed 002 items 11–12): what was deleted, how many, when, by which job."""

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="erasure_records")
    job = models.CharField(_("ジョブ"), max_length=100)
    ran_at = models.DateTimeField(_("実行日時"))
    deleted_count = models.PositiveIntegerField(_("削除件数"))
    applied_from = models.DateField(_("対象の申請日(最古)"), null=True, blank=True)
    applied_to = models.DateField(_("対象の申請日(最新)"), null=True, blank=True)
    keys_digest = models.CharField(_("削除したキーのダイジェスト"), max_length=64)
    policy = models.JSONField(_("適用した保存期間"), default=dict)

    class Meta:
        verbose_name = _("消去記録")
        verbose_name_plural = pgettext_lazy("plural", "消去記録")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.insurer.number} {self.ran_at:%Y-%m-%d} {self.deleted_count}件"
