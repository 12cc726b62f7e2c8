from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.insurers.models import Insurer
from shinchoku.offices.validators import validate_office_number


class OfficeKind(models.TextChoices):
    """Kinds of office that prepare care plans; hospitals and individuals are not among them."""

    HOME_CARE_SUPPORT = "home_care_support", _("居宅介護支援事業所")
    COMMUNITY_SUPPORT_CENTER = "community_support_center", _("地域包括支援センター")
    CARE_FACILITY = "care_facility", _("介護保険施設")
    SMALL_MULTIFUNCTION = "small_multifunction", _("小規模多機能型居宅介護事業所")
    NURSING_SMALL_MULTIFUNCTION = (
        "nursing_small_multifunction",
        _("看護小規模多機能型居宅介護事業所"),
    )
    GROUP_HOME = "group_home", _("認知症対応型共同生活介護事業所")
    SPECIFIED_FACILITY = "specified_facility", _("特定施設入居者生活介護事業所")


class CareOffice(models.Model):
    """A care office (事業所): the tenant of care managers. Never holds case data itself."""

    number = models.CharField(
        _("介護保険事業所番号"),
        max_length=10,
        unique=True,
        validators=[validate_office_number],
    )
    name = models.CharField(_("事業所名"), max_length=100)
    kind = models.CharField(_("事業所の種別"), max_length=40, choices=OfficeKind.choices)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("事業所")
        verbose_name_plural = pgettext_lazy("plural", "事業所")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.name}({self.number})"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("審査中")
    APPROVED = "approved", _("承認済み")
    RETURNED = "returned", _("差戻し")
    REJECTED = "rejected", _("却下")
    SUSPENDED = "suspended", _("利用停止")
    REVOKED = "revoked", _("承認取消")


class OfficeApproval(models.Model):
    """Whether an insurer lets an office's care managers see its cases (one row per pair)."""

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="office_approvals")
    office = models.ForeignKey(CareOffice, on_delete=models.PROTECT, related_name="approvals")
    status = models.CharField(
        _("状態"),
        max_length=16,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )
    decided_at = models.DateTimeField(_("決定日時"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    created_at = models.DateTimeField(_("申請日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("事業所の承認")
        verbose_name_plural = pgettext_lazy("plural", "事業所の承認")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "office"], name="office_approval_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.office} / {self.insurer}: {self.get_status_display()}"

    @property
    def is_approved(self) -> bool:
        return self.status == ApprovalStatus.APPROVED
