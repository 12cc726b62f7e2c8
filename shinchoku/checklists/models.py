"""The care-office security checklist (seed 004): published versions of it, each office's
submissions and their answers, and what each insurer requires of it.

A version's sections and items are data loaded from ``checklists/data/<code>.json``
(``catalogue``) and never change once loaded: a signed submission points at the very items it
answered. A revised checklist is a new version.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.checklists.validity import valid_until
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice

NOTE_MAX_LENGTH = 500


class ChecklistVersion(models.Model):
    code = models.CharField(_("版"), max_length=16, unique=True)  # "2026-04"; sorts by date
    title = models.CharField(_("名称"), max_length=200)
    published = models.CharField(_("発行"), max_length=40)  # as the source states it: "令和8年4月"
    source = models.TextField(_("出典"))
    introduction = models.TextField(_("前文"), blank=True)  # paragraphs separated by blank lines
    note_guidance = models.TextField(_("補足欄の説明"), blank=True)
    digest = models.CharField(_("データファイルのSHA-256"), max_length=64)
    installed_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("チェックリストの版")
        verbose_name_plural = pgettext_lazy("plural", "チェックリストの版")
        ordering = ["-code"]

    def __str__(self) -> str:
        return f"{self.title}({self.code})"

    @property
    def introduction_paragraphs(self) -> list[str]:
        return [p for p in self.introduction.split("\n\n") if p]


class ChecklistSection(models.Model):
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="sections")
    number = models.PositiveSmallIntegerField(_("番号"))
    title = models.CharField(_("見出し"), max_length=200)

    class Meta:
        verbose_name = _("チェックリストの大項目")
        verbose_name_plural = pgettext_lazy("plural", "チェックリストの大項目")
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="checklist_section_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ChecklistItem(models.Model):
    section = models.ForeignKey(ChecklistSection, on_delete=models.PROTECT, related_name="items")
    number = models.PositiveSmallIntegerField(_("番号"))  # within its section, as in the 解説書: 3-5 is 3-5) of 3
    text = models.TextField(_("チェック項目"))
    # The checklist's 「解説書等」 column: where the guide explains the item (on some rows only).
    reference = models.CharField(_("解説書等"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("チェック項目")
        verbose_name_plural = pgettext_lazy("plural", "チェック項目")
        ordering = ["section__number", "number"]
        constraints = [models.UniqueConstraint(fields=["section", "number"], name="checklist_item_unique_number")]

    def __str__(self) -> str:
        return f"{self.label} {self.text}"

    @property
    def label(self) -> str:
        """The item's number as people say it: "3-5" (section 3, item 5)."""
        return f"{self.section.number}-{self.number}"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SIGNED = "signed", _("署名済み")


class Submission(models.Model):
    """One office's answers to one version: a draft it may change, then, once signed, a record
    that is current for 12 months (``validity``) and never changes again."""

    office = models.ForeignKey(CareOffice, on_delete=models.PROTECT, related_name="checklist_submissions")
    version = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="submissions")
    status = models.CharField(_("状態"), max_length=8, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("作成者")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("署名者"),
    )
    # The signer's name as it was when signing: the record must not change if the account does.
    signed_by_name = models.CharField(_("署名者の氏名"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("署名日時"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True)
    # Reminders (``reminders``): each is sent once per submission, and the time it went is kept.
    reminded_before_at = models.DateTimeField(_("期限前の通知日時"), null=True, blank=True)
    reminded_expired_at = models.DateTimeField(_("期限切れの通知日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("チェックリストの回答")
        verbose_name_plural = pgettext_lazy("plural", "チェックリストの回答")
        ordering = ["-signed_at", "-pk"]
        constraints = [
            # One draft at a time per office: two admins continue the same one.
            models.UniqueConstraint(
                fields=["office"], condition=Q(status=SubmissionStatus.DRAFT), name="checklist_one_draft_per_office"
            ),
            models.CheckConstraint(
                name="checklist_signed_has_signer_and_dates",
                condition=Q(status=SubmissionStatus.DRAFT)
                | Q(signed_by__isnull=False, signed_at__isnull=False, expires_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["office", "status", "-signed_at"], name="checklist_office_status")]

    def __str__(self) -> str:
        return f"{self.office} {self.version.code} {self.get_status_display()}"

    @property
    def is_signed(self) -> bool:
        return self.status == SubmissionStatus.SIGNED

    @property
    def valid_until(self) -> date | None:
        return valid_until(self.expires_at) if self.expires_at is not None else None


class Choice(models.TextChoices):
    """The three answers the checklist allows, worded as the brief gives them."""

    DONE = "done", _("できている")
    PARTLY = "partly", _("一部できている")
    NOT_DONE = "not_done", _("できていない")


class Answer(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("チェック結果"), max_length=8, choices=Choice.choices, blank=True)  # blank: not yet
    note = models.TextField(_("チェック結果補足"), max_length=NOTE_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("チェック項目の回答")
        verbose_name_plural = pgettext_lazy("plural", "チェック項目の回答")
        constraints = [models.UniqueConstraint(fields=["submission", "item"], name="checklist_answer_unique_item")]

    def __str__(self) -> str:
        return f"{self.item.label}: {self.get_choice_display()}"


class ChecklistPolicy(models.Model):
    """What an insurer requires of the offices it works with. No row means nothing required."""

    insurer = models.OneToOneField(Insurer, on_delete=models.PROTECT, related_name="checklist_policy")
    require_for_approval = models.BooleanField(_("承認の条件にする"), default=False)
    require_for_lookup = models.BooleanField(_("照会の条件にする"), default=False)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("チェックリストの提出要件")
        verbose_name_plural = pgettext_lazy("plural", "チェックリストの提出要件")

    def __str__(self) -> str:
        return f"{self.insurer}: {self.require_for_approval}/{self.require_for_lookup}"
