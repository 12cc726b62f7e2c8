from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.insurers.validators import validate_insurer_number

RETENTION_AFTER_CLOSURE_BOUNDS = (7, 90)
RETENTION_AFTER_APPLICATION_BOUNDS = (60, 365)


class Insurer(models.Model):
    """A 介護保険者 (municipality or 広域連合): the tenant that owns case data."""

    number = models.CharField(_("保険者番号"), max_length=6, unique=True, validators=[validate_insurer_number])
    name = models.CharField(_("保険者名"), max_length=100)
    is_active = models.BooleanField(_("利用中"), default=True)
    # Retention (DESIGN §3, T9): a case is erased this many days after its decision or
    # withdrawal, and in any case this many days after its application. Bounds keep a
    # misconfiguration from either erasing data in use or keeping it for years.
    retention_days_after_closure = models.PositiveSmallIntegerField(
        _("決定・取下げ後の保存日数"),
        default=30,
        validators=[
            MinValueValidator(RETENTION_AFTER_CLOSURE_BOUNDS[0]),
            MaxValueValidator(RETENTION_AFTER_CLOSURE_BOUNDS[1]),
        ],
    )
    retention_days_after_application = models.PositiveSmallIntegerField(
        _("申請日からの最長保存日数"),
        default=180,
        validators=[
            MinValueValidator(RETENTION_AFTER_APPLICATION_BOUNDS[0]),
            MaxValueValidator(RETENTION_AFTER_APPLICATION_BOUNDS[1]),
        ],
    )
    # 要介護度 is kept and shown (to the office on file only) when the insurer opts in.
    care_level_enabled = models.BooleanField(_("要介護度を扱う"), default=False)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("保険者")
        verbose_name_plural = pgettext_lazy("plural", "保険者")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.name}({self.number})"


class Pledge(models.Model):
    """One version of an insurer's pledge (誓約・同意事項) that applying offices accept.

    Versions are only ever added (``services.pledge_create``), never edited, so an acceptance
    always points at the very text that was accepted; the current pledge is the latest version.
    """

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="pledges")
    version = models.PositiveIntegerField(_("版"))
    text = models.TextField(_("誓約・同意事項"))
    # None: the service's default text, saved as version 1 when the first office accepted it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作成者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("誓約・同意事項")
        verbose_name_plural = pgettext_lazy("plural", "誓約・同意事項")
        ordering = ["insurer", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["insurer", "version"], name="pledge_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{self.insurer.name} 第{self.version}版"


class MailText(models.Model):
    """An insurer's own wording of one of the e-mails it sends to offices (``insurers.texts``).

    Without a row the service's default wording is used. The text holds placeholders such as
    ``{事業所名}``, filled by plain substitution, never rendered as a template.
    """

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="mail_texts")
    kind = models.CharField(_("メールの種類"), max_length=40)
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    version = models.PositiveIntegerField(_("版"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("更新者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新日時"))

    class Meta:
        verbose_name = _("メールの文面")
        verbose_name_plural = pgettext_lazy("plural", "メールの文面")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "kind"], name="mail_text_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.insurer.name} {self.kind} 第{self.version}版"
