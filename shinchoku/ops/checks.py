"""System checks for shinchoku's own invariants (DESIGN T7, T8).

The ``deploy`` ones run with ``manage.py check --deploy`` and ``manage.py selfcheck``; the
trigger check runs always, because an audit table without its triggers is never acceptable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.utils import DatabaseError

from shinchoku.audit import triggers
from shinchoku.lookup.limits import configured_limits

SHARED_CACHE_BACKENDS = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
)


def _installed_trigger_names() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [triggers.TABLE])
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [triggers.TABLE]
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


REQUIRED_TRIGGERS = {
    "sqlite": {"audit_event_no_update", "audit_event_no_delete"},
    "postgresql": {"audit_event_no_update", "audit_event_no_truncate"},
}


@register("shinchoku", "database")
def check_audit_triggers(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []  # Django runs database checks only when asked (migrate, check --database)
    try:
        if triggers.TABLE not in connection.introspection.table_names():
            return []  # not migrated yet: migrate installs them
        installed = _installed_trigger_names()
    except DatabaseError:
        return []
    missing = REQUIRED_TRIGGERS.get(connection.vendor, set()) - installed
    if missing:
        return [
            Error(
                f"監査証跡の追記専用トリガーがありません: {', '.join(sorted(missing))}",
                hint="manage.py migrate audit を実行してください。誰かが削除した場合はインシデントとして扱ってください。",
                id="shinchoku.E001",
            )
        ]
    return []


@register("shinchoku", deploy=True)
def check_production_posture(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        messages.append(
            Warning(
                "本番環境のデータベースは PostgreSQL を推奨します(SQLite は開発・デモ用)。",
                id="shinchoku.W001",
            )
        )
    if settings.CACHES["default"]["BACKEND"] not in SHARED_CACHE_BACKENDS:
        messages.append(
            Error(
                "キャッシュが複数のアプリサーバーで共有されていません。ワンタイムコードの再利用防止と回数制限が働きません。",
                hint="REDIS_URL を設定するか、データベースキャッシュを使ってください。",
                id="shinchoku.E002",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        messages.append(Error("SHINCHOKU_ALLOWED_HOSTS に * は使えません。", id="shinchoku.E003"))
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend.endswith(("console.EmailBackend", "filebased.EmailBackend", "dummy.EmailBackend")):
        messages.append(
            Warning(
                "メールが実際には送信されない設定です(パスワード再設定やお知らせが届きません)。",
                hint="EMAIL_URL に SMTP サーバーを設定してください。",
                id="shinchoku.W002",
            )
        )
    if not settings.HTTPS:
        messages.append(Error("HTTPS が無効です(SHINCHOKU_HTTPS)。", id="shinchoku.E004"))
    base = urlsplit(settings.BASE_URL)
    if base.scheme != "https" or base.hostname not in settings.ALLOWED_HOSTS:
        messages.append(
            Error(
                "メールに載せるサービスのURL(SHINCHOKU_BASE_URL)が、HTTPS の公開ホスト名になっていません。",
                hint="例: SHINCHOKU_BASE_URL=https://shinchoku.city.example.jp(SHINCHOKU_ALLOWED_HOSTS のホスト名)",
                id="shinchoku.E005",
            )
        )
    return messages


@register("shinchoku")
def check_lookup_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The miss limits are read on every lookup: a broken entry must stop the start, not every
    lookup, and a scope without a limit must not pass unnoticed (DESIGN T2)."""
    try:
        limits = configured_limits()
    except ImproperlyConfigured as exc:
        return [Error(f"照会の回数制限(LOOKUP_MISS_LIMITS)の設定が正しくありません: {exc}", id="shinchoku.E006")]
    missing = sorted({"user", "office", "ip", "global"} - {limit.scope for limit in limits})
    if missing:
        return [
            Warning(
                f"照会の「該当なし」に回数制限がない範囲があります: {', '.join(missing)}",
                hint="docs/security.md の「Miss limits」の既定値を参考に LOOKUP_MISS_LIMITS を設定してください。",
                id="shinchoku.W003",
            )
        ]
    return []
