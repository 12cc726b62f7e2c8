from __future__ import annotations

from django.conf import settings
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
    # Whom the insurer calls about the application. Blank for offices set up before registration
    # existed (demo data, set-up commands); the registration form requires both.
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    contact_name = models.CharField(_("担当者名"), max_length=100, blank=True)
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


class DesignationProof(models.Model):
    """An office's proof of designation (指定通知書): a PDF, PNG or JPEG, encrypted at rest.

    Only the insurers whose approvals point at it may open it (``views.proof_download``). The
    bytes are sealed with the data key ring (AES-256-GCM, bound to the office) and kept in the
    database, so they are in the encrypted backups, need no shared file system between app
    servers, and a stolen disk or dump shows nothing of them (DESIGN T5).
    """

    office = models.ForeignKey(CareOffice, on_delete=models.PROTECT, related_name="proofs")
    content_type = models.CharField(_("ファイルの種類"), max_length=40)  # sniffed from the bytes
    size = models.PositiveIntegerField(_("大きさ(バイト)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_name = models.CharField(_("ファイル名"), max_length=100)  # as sent, for people only
    sealed = models.TextField(_("暗号化された内容"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出者"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("提出日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("指定通知書")
        verbose_name_plural = pgettext_lazy("plural", "指定通知書")

    def __str__(self) -> str:
        return f"{self.office} {self.file_name}"


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
    # The proof the insurer reviews: the one sent with the application or its latest re-submission.
    proof = models.ForeignKey(
        DesignationProof,
        verbose_name=_("指定通知書"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals",
    )
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


class PledgeAcceptance(models.Model):
    """Who accepted which version of an insurer's pledge, for which application, when and from where."""

    office = models.ForeignKey(CareOffice, on_delete=models.PROTECT, related_name="pledge_acceptances")
    approval = models.ForeignKey(OfficeApproval, on_delete=models.PROTECT, related_name="pledge_acceptances")
    pledge = models.ForeignKey(
        "insurers.Pledge", verbose_name=_("誓約・同意事項"), on_delete=models.PROTECT, related_name="acceptances"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("同意した人"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("同意日時"))
    ip = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)

    class Meta:
        verbose_name = _("誓約・同意事項への同意")
        verbose_name_plural = pgettext_lazy("plural", "誓約・同意事項への同意")
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.office} / {self.pledge}"


class RegistrationAttempt(models.Model):
    """One POST of the public registration form, counted per client network (``offices.throttle``).

    The key is a keyed digest of the client's address (IPv6: its /64), not the address itself:
    the counter needs to tell clients apart, not to know who they are.
    """

    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "at"], name="registration_attempt_key_at"),
            models.Index(fields=["at"], name="registration_attempt_at"),  # pruning
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}… {self.at:%Y-%m-%d %H:%M}"
