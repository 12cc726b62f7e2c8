"""One enum of audit event types, ``<scope>:<subject>:<verb>``, kept alphabetised."""

from __future__ import annotations

from django.db import models


class EventType(models.TextChoices):
    ACCOUNTS_USER_CREATED = "accounts:user:created", "利用者の登録"
    ACCOUNTS_USER_DISABLED = "accounts:user:disabled", "利用者の無効化"
    ACCOUNTS_USER_ENABLED = "accounts:user:enabled", "利用者の再有効化"
    ACCOUNTS_USER_UPDATED = "accounts:user:updated", "利用者情報の変更"
    API_CLIENT_CREATED = "api:client:created", "API連携クライアントの発行"
    API_CLIENT_REVOKED = "api:client:revoked", "API連携クライアントの失効"
    API_REQUEST_REFUSED = "api:request:refused", "API連携の認証失敗"
    AUDIT_TRAIL_VERIFIED = "audit:trail:verified", "監査証跡の検証"
    AUTH_LOCKOUT_TRIGGERED = "auth:lockout:triggered", "アカウントのロック"
    AUTH_LOGIN_FAILED = "auth:login:failed", "ログイン失敗"
    AUTH_LOGIN_SUCCEEDED = "auth:login:succeeded", "ログイン"
    AUTH_LOGOUT_SUCCEEDED = "auth:logout:succeeded", "ログアウト"
    AUTH_MFA_FAILED = "auth:mfa:failed", "二要素認証の失敗"
    AUTH_MFA_USED = "auth:mfa:used", "二要素認証の利用"
    AUTH_PASSWORD_CHANGED = "auth:password:changed", "パスワード変更"
    AUTH_PASSWORD_RESET = "auth:password:reset", "パスワード再設定"
    AUTH_SESSION_ENDED = "auth:session:ended", "セッションの終了"
    AUTH_SESSION_TIMED_OUT = "auth:session:timed_out", "セッションの時間切れ"
    CASES_CASE_CORRECTED = "cases:case:corrected", "認定申請の訂正"
    CASES_CASE_SEARCHED = "cases:case:searched", "認定申請の検索"
    CASES_CASE_VIEWED = "cases:case:viewed", "認定申請の閲覧"
    CASES_ERASURE_RECORDED = "cases:erasure:recorded", "保存期間経過データの消去"
    CASES_IMPORT_CHECKED = "cases:import:checked", "取込ファイルの検証(取込なし)"
    CASES_IMPORT_COMPLETED = "cases:import:completed", "認定データの取込"
    CASES_IMPORT_REJECTED = "cases:import:rejected", "認定データの取込(エラーのため取込なし)"
    CASES_KEY_ROTATED = "cases:key:rotated", "被保険者番号の暗号鍵の切替"
    INSURERS_INSURER_CREATED = "insurers:insurer:created", "保険者の登録"
    INSURERS_INSURER_UPDATED = "insurers:insurer:updated", "保険者情報の変更"
    MFA_AUTHENTICATOR_ADDED = "mfa:authenticator:added", "二要素認証の登録"
    MFA_AUTHENTICATOR_REMOVED = "mfa:authenticator:removed", "二要素認証の削除"
    OFFICES_APPROVAL_DECIDED = "offices:approval:decided", "事業所の承認状態の変更"
    OFFICES_OFFICE_CREATED = "offices:office:created", "事業所の登録"


class Outcome(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失敗"
    DENIED = "denied", "拒否"
