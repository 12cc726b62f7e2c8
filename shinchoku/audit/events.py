"""One enum of audit event types, ``<scope>:<subject>:<verb>``, kept alphabetised."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventType(models.TextChoices):
    ACCOUNTS_USER_CREATED = "accounts:user:created", _("利用者の登録")
    ACCOUNTS_USER_DISABLED = "accounts:user:disabled", _("利用者の無効化")
    ACCOUNTS_USER_DORMANCY_WARNED = "accounts:user:dormancy_warned", _("長期間利用のない利用者への無効化の予告")
    ACCOUNTS_USER_ENABLED = "accounts:user:enabled", _("利用者の再有効化")
    ACCOUNTS_USER_UPDATED = "accounts:user:updated", _("利用者情報の変更")
    API_CLIENT_CREATED = "api:client:created", _("API連携クライアントの発行")
    API_CLIENT_REVOKED = "api:client:revoked", _("API連携クライアントの失効")
    API_REQUEST_REFUSED = "api:request:refused", _("API連携の認証失敗")
    AUDIT_TRAIL_SEALED = "audit:trail:sealed", _("監査証跡の封印")
    AUDIT_TRAIL_VERIFIED = "audit:trail:verified", _("監査証跡の検証")
    AUTH_LOCKOUT_TRIGGERED = "auth:lockout:triggered", _("アカウントのロック")
    AUTH_LOGIN_FAILED = "auth:login:failed", _("ログイン失敗")
    AUTH_LOGIN_SUCCEEDED = "auth:login:succeeded", pgettext_lazy("audit event", "ログイン")
    AUTH_LOGOUT_SUCCEEDED = "auth:logout:succeeded", pgettext_lazy("audit event", "ログアウト")
    AUTH_MFA_FAILED = "auth:mfa:failed", _("二要素認証の失敗")
    AUTH_MFA_USED = "auth:mfa:used", _("二要素認証の利用")
    AUTH_PASSWORD_CHANGED = "auth:password:changed", _("パスワード変更")
    AUTH_PASSWORD_RESET = "auth:password:reset", _("パスワード再設定")
    AUTH_SESSION_ENDED = "auth:session:ended", _("セッションの終了")
    AUTH_SESSION_TIMED_OUT = "auth:session:timed_out", _("セッションの時間切れ")
    CASES_CASE_CORRECTED = "cases:case:corrected", _("認定申請の訂正")
    CASES_CASE_SEARCHED = "cases:case:searched", _("認定申請の検索")
    CASES_CASE_VIEWED = "cases:case:viewed", _("認定申請の閲覧")
    CASES_COLUMN_MAPPING_ADDED = "cases:column_mapping:added", _("列名の対応の追加")
    CASES_COLUMN_MAPPING_REMOVED = "cases:column_mapping:removed", _("列名の対応の削除")
    CASES_ERASURE_RECORDED = "cases:erasure:recorded", _("保存期間経過データの消去")
    CASES_IMPORT_CHECKED = "cases:import:checked", _("取込ファイルの検証(取込なし)")
    CASES_IMPORT_COMPLETED = "cases:import:completed", _("認定データの取込")
    CASES_IMPORT_REJECTED = "cases:import:rejected", _("認定データの取込(エラーのため取込なし)")
    CASES_KEY_ROTATED = "cases:key:rotated", _("被保険者番号の暗号鍵の切替")
    CHECKLISTS_POLICY_UPDATED = "checklists:policy:updated", _("チェックリストの提出要件の変更")
    CHECKLISTS_REMINDER_SENT = "checklists:reminder:sent", _("チェックリストの有効期限の通知")
    CHECKLISTS_SUBMISSION_DISCARDED = "checklists:submission:discarded", _("チェックリストの下書きの破棄")
    CHECKLISTS_SUBMISSION_DOWNLOADED = "checklists:submission:downloaded", _("チェックリストのPDFの出力")
    CHECKLISTS_SUBMISSION_SAVED = "checklists:submission:saved", _("チェックリストの下書きの保存")
    CHECKLISTS_SUBMISSION_SIGNED = "checklists:submission:signed", _("チェックリストの署名・提出")
    CHECKLISTS_SUBMISSION_STARTED = "checklists:submission:started", _("チェックリストの回答の開始")
    INSURERS_INSURER_CREATED = "insurers:insurer:created", _("保険者の登録")
    INSURERS_INSURER_UPDATED = "insurers:insurer:updated", _("保険者情報の変更")
    LOOKUP_ALERT_ACKNOWLEDGED = "lookup:alert:acknowledged", _("照会停止の通知の確認")
    LOOKUP_CASE_FOLLOWED = "lookup:case:followed", _("申請のフォロー")
    LOOKUP_CASE_LOOKED_UP = "lookup:case:looked_up", _("進捗照会")
    LOOKUP_CASE_UNFOLLOWED = "lookup:case:unfollowed", _("申請のフォロー解除")
    LOOKUP_CASE_VIEWED = "lookup:case:viewed", _("担当の申請の閲覧")
    LOOKUP_LIMIT_EXCEEDED = "lookup:limit:exceeded", _("照会の一時停止(該当なしの多発)")
    LOOKUP_LINKED_LISTED = "lookup:linked:listed", _("担当の申請一覧の閲覧")
    LOOKUP_NOTIFICATION_SENT = "lookup:notification:sent", _("フォロー中の申請の更新通知")
    LOOKUP_PREFERENCE_UPDATED = "lookup:preference:updated", _("通知の設定の変更")
    MFA_AUTHENTICATOR_ADDED = "mfa:authenticator:added", _("二要素認証の登録")
    MFA_AUTHENTICATOR_REMOVED = "mfa:authenticator:removed", _("二要素認証の削除")
    OFFICES_APPROVAL_DECIDED = "offices:approval:decided", _("事業所の承認状態の変更")
    OFFICES_OFFICE_CREATED = "offices:office:created", _("事業所の登録")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失敗")
    DENIED = "denied", _("拒否")
