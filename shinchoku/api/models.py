"""Credentials of the insurer's own systems (認定支援システム) that push case data through the API.

The token itself is never stored: only its SHA-256 (a token is 32 random bytes, so a fast hash
is enough; nothing to brute-force) and a short prefix that people can recognise in lists.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from shinchoku.insurers.models import Insurer


class ApiClient(models.Model):
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="api_clients")
    name = models.CharField("名称", max_length=100)
    token_prefix = models.CharField("トークンの先頭", max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    # Addresses or networks (CIDR) the client may call from, normalised; empty = from anywhere.
    allowed_ips = models.JSONField("接続を許可するIPアドレス", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("発行日時", default=timezone.now)
    expires_at = models.DateTimeField("有効期限")
    revoked_at = models.DateTimeField("失効日時", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField("最終利用日時", null=True, blank=True)

    class Meta:
        verbose_name = "API連携クライアント"
        verbose_name_plural = "API連携クライアント"
        indexes = [models.Index(fields=["insurer", "-created_at"], name="api_client_insurer_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if timezone.now() < self.expires_at else "expired"
