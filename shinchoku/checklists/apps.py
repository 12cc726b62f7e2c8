from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecklistsConfig(AppConfig):
    name = "shinchoku.checklists"
    verbose_name = _("情報安全管理チェックリスト")
