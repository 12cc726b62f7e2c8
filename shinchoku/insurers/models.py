from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.insurers.validators import validate_insurer_number


class Insurer(models.Model):
    """A 介護保険者 (municipality or 広域連合): the tenant that owns case data."""

    number = models.CharField(_("保険者番号"), max_length=6, unique=True, validators=[validate_insurer_number])
    name = models.CharField(_("保険者名"), max_length=100)
    is_active = models.BooleanField(_("利用中"), default=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("保険者")
        verbose_name_plural = pgettext_lazy("plural", "保険者")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.name}({self.number})"
