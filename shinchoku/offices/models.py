from __future__ import annotations

from django.db import models

from shinchoku.insurers.models import Insurer
from shinchoku.offices.validators import validate_office_number


class OfficeKind(models.TextChoices):
    """Kinds of office that prepare care plans; hospitals and individuals are not among them."""

    HOME_CARE_SUPPORT = "home_care_support", "居宅介護支援事業所"
    COMMUNITY_SUPPORT_CENTER = "community_support_center", "地域包括支援センター"
    CARE_FACILITY = "care_facility", "介護保険施設"
    SMALL_MULTIFUNCTION = "small_multifunction", "小規模多機能型居宅介護事業所"
    NURSING_SMALL_MULTIFUNCTION = (
        "nursing_small_multifunction",
        "看護小規模多機能型居宅介護事業所",
    )
    GROUP_HOME = "group_home", "認知症対応型共同生活介護事業所"
    SPECIFIED_FACILITY = "specified_facility", "特定施設入居者生活介護事業所"


class CareOffice(models.Model):
    """A care office (事業所): the tenant of care managers. Never holds case data itself."""

    number = models.CharField(
        "介護保険事業所番号",
        max_length=10,
        unique=True,
        validators=[validate_office_number],
    )
    name = models.CharField("事業所名", max_length=100)
    kind = models.CharField("事業所の種別", max_length=40, choices=OfficeKind.choices)
    created_at = models.DateTimeField("登録日時", auto_now_add=True)

    class Meta:
        verbose_name = "事業所"
        verbose_name_plural = "事業所"
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.name}({self.number})"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "審査中"
    APPROVED = "approved", "承認済み"
    RETURNED = "returned", "差戻し"
    REJECTED = "rejected", "却下"
    SUSPENDED = "suspended", "利用停止"
    REVOKED = "revoked", "承認取消"


class OfficeApproval(models.Model):
    """Whether an insurer lets an office's care managers see its cases (one row per pair)."""

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="office_approvals")
    office = models.ForeignKey(CareOffice, on_delete=models.PROTECT, related_name="approvals")
    status = models.CharField(
        "状態",
        max_length=16,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )
    decided_at = models.DateTimeField("決定日時", null=True, blank=True)
    reason = models.TextField("理由", blank=True)
    created_at = models.DateTimeField("申請日時", auto_now_add=True)

    class Meta:
        verbose_name = "事業所の承認"
        verbose_name_plural = "事業所の承認"
        constraints = [
            models.UniqueConstraint(fields=["insurer", "office"], name="office_approval_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.office} / {self.insurer}: {self.get_status_display()}"

    @property
    def is_approved(self) -> bool:
        return self.status == ApprovalStatus.APPROVED
