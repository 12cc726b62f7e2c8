"""Error pages in the visitor's language (Japanese by default) that say what happened and what to do,
and nothing more."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext


def _render(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    body: str
    try:
        body = render_to_string(
            "web/error.html",
            {"status": status, "title": title, "message": message},
            request=request,
        )
    except Exception:  # noqa: BLE001 - an error page must never fail itself
        body = (
            f"<!doctype html><html lang={get_language() or 'ja'}><title>{title}</title><h1>{title}</h1><p>{message}</p>"
        )
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request,
        400,
        gettext("リクエストを処理できません"),
        gettext("入力内容を確認して、もう一度お試しください。"),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request,
        403,
        gettext("この画面を利用する権限がありません"),
        gettext("必要な場合は、所属の管理者にお問い合わせください。"),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request,
        404,
        gettext("ページが見つかりません"),
        gettext("URLを確認するか、メニューから目的の画面を開いてください。"),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        500,
        gettext("システムエラーが発生しました"),
        gettext("時間をおいてもう一度お試しください。解決しない場合は管理者にご連絡ください。"),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _render(
        request,
        403,
        gettext("画面の有効期限が切れました"),
        gettext(
            "安全のため、送信を受け付けませんでした。前の画面に戻り、ページを再読み込みしてからもう一度送信してください。"
        ),
    )


def audit_unavailable(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        503,
        gettext("ただいま照会できません"),
        gettext(
            "照会の記録を保存できなかったため、安全のため結果を表示しませんでした。しばらくしてからもう一度お試しください。続く場合は保険者の担当窓口にご連絡ください。"
        ),
    )


def lookup_limits_unavailable(request: HttpRequest) -> HttpResponse:
    """The shared miss counters (Redis) cannot be reached: without them no lookup is answered."""
    return _render(
        request,
        503,
        gettext("ただいま照会できません"),
        gettext(
            "照会の回数を確認できないため、安全のため照会を止めています。しばらくしてからもう一度お試しください。続く場合は保険者の担当窓口にご連絡ください。"
        ),
    )
