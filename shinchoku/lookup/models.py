"""The care managers' side: cases they follow, their notification choice, the miss counters
that hold back enumeration (DESIGN T2), and the alerts those counters raise for insurers.

No row here holds a 被保険者番号 or a date of a case: a follow points at the case row, the
counters hold only times, and an alert names the account, office or address that missed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.cases.models import Case
from shinchoku.insurers.models import Insurer


class Follow(models.Model):
    """A care manager asked to hear when an import changes this case (one row per pair)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    # Erasing a case (retention) removes its follows with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("フォロー開始"), auto_now_add=True)

    class Meta:
        verbose_name = _("フォロー")
        verbose_name_plural = pgettext_lazy("plural", "フォロー")
        constraints = [models.UniqueConstraint(fields=["user", "case"], name="follow_unique_pair")]
        indexes = [models.Index(fields=["case"], name="follow_case")]

    def __str__(self) -> str:
        return f"follow {self.user_id} → case {self.case_id}"


class Preference(models.Model):
    """A care manager's notification choice; no row means the default (e-mail on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lookup_preference")
    email_on_followed_change = models.BooleanField(
        _("フォロー中の申請が更新されたらメールで知らせる"),
        default=True,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知の設定")
        verbose_name_plural = pgettext_lazy("plural", "通知の設定")

    def __str__(self) -> str:
        return f"preference {self.user_id}"


class MissWindow(models.Model):
    """Database backend of the sliding-window miss limits: one row per counted key
    ("user:12", "office:3", "ip:192.0.2.1", "global"), locked while it is updated so that
    several app servers count together exactly.

    ``stamps`` holds the times (epoch seconds) of the misses within the longest window of the
    key's scope; ``blocked_until`` is set when a limit is exceeded (the cooling period).
    """

    key = models.CharField(max_length=100, unique=True)
    stamps = models.JSONField(default=list)
    blocked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("照会の失敗回数")
        verbose_name_plural = pgettext_lazy("plural", "照会の失敗回数")
        indexes = [models.Index(fields=["blocked_until"], name="miss_window_blocked")]

    def __str__(self) -> str:
        return self.key


class Alert(models.Model):
    """A notice to an insurer's admins that lookups were stopped after too many misses."""

    class Scope(models.TextChoices):
        USER = "user", _("利用者")
        OFFICE = "office", _("事業所")
        IP = "ip", _("接続元IPアドレス")
        GLOBAL = "global", _("サービス全体")

    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="lookup_alerts")
    created_at = models.DateTimeField(_("発生日時"))
    scope = models.CharField(_("対象"), max_length=16, choices=Scope.choices)
    subject = models.CharField(_("止めた相手"), max_length=254)
    misses = models.PositiveIntegerField(_("該当なしの回数"))
    window_seconds = models.PositiveIntegerField(_("集計期間(秒)"))
    blocked_until = models.DateTimeField(_("停止の終了"))
    acknowledged_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("照会停止の通知")
        verbose_name_plural = pgettext_lazy("plural", "照会停止の通知")
        indexes = [models.Index(fields=["insurer", "-created_at"], name="alert_insurer_time")]

    def __str__(self) -> str:
        return f"alert {self.insurer_id} {self.scope} {self.created_at:%Y-%m-%d %H:%M}"
