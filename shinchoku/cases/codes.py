"""Code tables of the certification process (DESIGN §3), shared by import, views and API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ApplicationKind(models.TextChoices):
    """申請区分 as vendor systems code it (own msgctxt: 更新 alone is also the import count "updated")."""

    NEW = "1", pgettext_lazy("application kind", "新規")
    RENEWAL = "2", pgettext_lazy("application kind", "更新")
    CHANGE = "3", pgettext_lazy("application kind", "区分変更")
    EX_OFFICIO = "4", pgettext_lazy("application kind", "職権")
    TRANSFER_IN = "5", pgettext_lazy("application kind", "転入")
    LOSS = "6", pgettext_lazy("application kind", "資格喪失(死亡)")
    NEW_ADVANCE = "A", pgettext_lazy("application kind", "新規(事前)")
    RENEWAL_ADVANCE = "B", pgettext_lazy("application kind", "更新(事前)")


class Closure(models.TextChoices):
    """An application that ended without a decision."""

    WITHDRAWN = "withdrawn", _("取下げ")
    REJECTED = "rejected", _("却下")


class CareLevel(models.TextChoices):
    """要介護状態区分 with the national code numbers (厚生労働省 介護保険 コード表)."""

    NOT_APPLICABLE = "01", _("非該当")
    SUPPORT_1 = "12", _("要支援1")
    SUPPORT_2 = "13", _("要支援2")
    CARE_1 = "21", _("要介護1")
    CARE_2 = "22", _("要介護2")
    CARE_3 = "23", _("要介護3")
    CARE_4 = "24", _("要介護4")
    CARE_5 = "25", _("要介護5")


class Source(models.TextChoices):
    IMPORT = "import", _("CSV取込")
    API = "api", _("API連携")
    STAFF = "staff", _("職員による訂正")
