"""Code tables of the certification process (DESIGN §3), shared by import, views and API."""

from __future__ import annotations

from django.db import models


class ApplicationKind(models.TextChoices):
    """申請区分 as vendor systems code it."""

    NEW = "1", "新規"
    RENEWAL = "2", "更新"
    CHANGE = "3", "区分変更"
    EX_OFFICIO = "4", "職権"
    TRANSFER_IN = "5", "転入"
    LOSS = "6", "資格喪失(死亡)"
    NEW_ADVANCE = "A", "新規(事前)"
    RENEWAL_ADVANCE = "B", "更新(事前)"


class Closure(models.TextChoices):
    """An application that ended without a decision."""

    WITHDRAWN = "withdrawn", "取下げ"
    REJECTED = "rejected", "却下"


class CareLevel(models.TextChoices):
    """要介護状態区分 with the national code numbers (厚生労働省 介護保険 コード表)."""

    NOT_APPLICABLE = "01", "非該当"
    SUPPORT_1 = "12", "要支援1"
    SUPPORT_2 = "13", "要支援2"
    CARE_1 = "21", "要介護1"
    CARE_2 = "22", "要介護2"
    CARE_3 = "23", "要介護3"
    CARE_4 = "24", "要介護4"
    CARE_5 = "25", "要介護5"


class Source(models.TextChoices):
    IMPORT = "import", "CSV取込"
    API = "api", "API連携"
    STAFF = "staff", "職員による訂正"
