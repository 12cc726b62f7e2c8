"""The menu each role sees: one list, filtered by permission, so menus and access agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shinchoku.accounts.permissions import Permission


@dataclass(frozen=True)
class NavItem:
    label: str | Promise  # translated when rendered
    url_name: str
    permission: Permission | None

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV_ITEMS = (
    NavItem(_("ホーム"), "web:home", None),
    NavItem(_("進捗照会"), "lookup:lookup", Permission.LOOKUP_CASE_LOOKUP),
    NavItem(_("担当の申請"), "lookup:linked_list", Permission.LOOKUP_CASE_LOOKUP),
    NavItem(_("認定申請の検索"), "cases:case_search", Permission.CASES_CASE_READ),
    NavItem(_("取込"), "cases:import_upload", Permission.CASES_IMPORT_RUN),
    NavItem(_("取込履歴"), "cases:import_list", Permission.CASES_IMPORT_HISTORY_READ),
    NavItem(pgettext_lazy("plural", "事業所"), "offices:approval_list", Permission.OFFICES_OFFICE_READ),
    NavItem(_("事業所のチェックリスト"), "checklists:office_list", Permission.CHECKLISTS_STATUS_READ),
    NavItem(_("職員の管理"), "accounts:user_list", Permission.ACCOUNTS_INSURER_STAFF_MANAGE),
    NavItem(_("職員の管理"), "accounts:user_list", Permission.ACCOUNTS_OFFICE_STAFF_MANAGE),
    NavItem(_("利用申請"), "offices:applications", Permission.OFFICES_APPLICATION_SUBMIT),
    NavItem(_("情報安全管理チェックリスト"), "checklists:overview", Permission.CHECKLISTS_CHECKLIST_ANSWER),
    NavItem(_("監査証跡"), "audit:event_list", Permission.AUDIT_TRAIL_READ),
    NavItem(_("照会停止の通知"), "lookup:alert_list", Permission.LOOKUP_ALERT_REVIEW),
    NavItem(_("消去記録"), "cases:erasure_list", Permission.CASES_ERASURE_READ),
    NavItem(_("稼働状況"), "ops:status", Permission.OPS_HEALTH_READ),
    NavItem(_("保険者の管理"), "insurers:insurer_list", Permission.INSURERS_INSURER_MANAGE),
    NavItem(_("API連携"), "api:client_list", Permission.API_CLIENT_MANAGE),
    NavItem(_("保険者の設定"), "insurers:settings", Permission.INSURERS_POLICY_MANAGE),
    NavItem(_("通知の設定"), "lookup:preferences", Permission.LOOKUP_CASE_LOOKUP),
    NavItem(_("アカウントとセキュリティ"), "accounts:security", None),
)


def navigation_for(user: Any) -> list[NavItem]:
    return [item for item in NAV_ITEMS if item.permission is None or user.can(item.permission)]
