from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.accounts.permissions import Permission
from shinchoku.accounts.roles import INSURER_ROLES, OFFICE_ROLES, Role, permissions_for
from shinchoku.insurers.models import Insurer
from shinchoku.offices.models import CareOffice


class UserManager(BaseUserManager["User"]):
    """Only the services in ``accounts.services`` create users; this serves them and Django."""

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser):
    """A personal account (no shared IDs) belonging to exactly one insurer or one office."""

    email = models.EmailField(_("メールアドレス(ログインID)"), unique=True)
    display_name = models.CharField(_("氏名"), max_length=100)
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    insurer = models.ForeignKey(
        Insurer,
        verbose_name=_("所属保険者"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    office = models.ForeignKey(
        CareOffice,
        verbose_name=_("所属事業所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    is_active = models.BooleanField(_("有効"), default=True)
    date_joined = models.DateTimeField(_("登録日時"), auto_now_add=True)
    disabled_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)
    disabled_reason = models.CharField(_("無効化の理由"), max_length=200, blank=True)
    # Dormancy (accounts.dormancy). The last warning that the account will be disabled; it
    # stands only while no activity came after it, so signing in cancels it without a write.
    dormant_warned_at = models.DateTimeField(_("休眠による無効化の予告日時"), null=True, blank=True)
    # When an admin last re-enabled the account: counts as activity, or the next run of
    # disable_dormant would disable a long-unused account again at once.
    reactivated_at = models.DateTimeField(_("再有効化日時"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name", "role"]

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = pgettext_lazy("plural", "利用者")
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="user_belongs_to_exactly_one_tenant",
                condition=(
                    Q(
                        role=Role.PLATFORM_ADMIN,
                        insurer__isnull=True,
                        office__isnull=True,
                    )
                    | Q(
                        role__in=sorted(INSURER_ROLES),
                        insurer__isnull=False,
                        office__isnull=True,
                    )
                    | Q(
                        role__in=sorted(OFFICE_ROLES),
                        office__isnull=False,
                        insurer__isnull=True,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"

    # -- authorization ------------------------------------------------------------------------
    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.role) if self.is_active else frozenset()

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.role == Role.PLATFORM_ADMIN

    @property
    def tenant_name(self) -> str:
        if self.insurer_id is not None and self.insurer is not None:
            return self.insurer.name
        if self.office_id is not None and self.office is not None:
            return self.office.name
        return ""

    # Django admin asks these; only platform admins reach it (web.admin_site).
    @property
    def is_staff(self) -> bool:
        return self.is_platform_admin

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_platform_admin

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_platform_admin


class Invitation(models.Model):
    """A single-use, expiring link through which a person sets their own password.

    Only a SHA-256 hash of the link's token is kept: a copy of the database opens no account.
    """

    user = models.ForeignKey(
        User, verbose_name=_("招待された利用者"), on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(_("トークンのハッシュ"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("招待した人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("招待日時"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)

    # Set only on the instance ``accounts.invitations.invitation_issue`` returns: the token
    # itself is never stored, and the link holding it exists only in that e-mail.
    token: str | None = None

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = pgettext_lazy("plural", "招待")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="invitation_user_latest")]

    def __str__(self) -> str:
        return f"{self.user.email} ({self.created_at:%Y-%m-%d %H:%M})"

    def is_open_at(self, moment: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and moment < self.expires_at
