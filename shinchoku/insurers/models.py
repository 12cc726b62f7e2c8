from __future__ import annotations

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
