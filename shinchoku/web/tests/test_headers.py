"""Security headers on every rendered page, signed in or not (DESIGN T7)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from shinchoku.accounts.models import User
from tests.personas import Cast

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def _directives(response: TestResponse) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    parts = (part.strip() for part in policy.split(";"))
    return {name: value for name, _, value in (part.partition(" ") for part in parts if part)}


def _assert_secure_headers(response: TestResponse) -> None:
    assert response.status_code == 200
    directives = _directives(response)
    assert directives["default-src"] == "'self'"
    # django-csp 4 adds the nonce only when a template used it; no page has an inline script now.
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9+/=]{16,}')?", directives["script-src"]), directives
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert not response.has_header("Expires")


def test_the_login_page_carries_the_security_headers(client: Client) -> None:
    _assert_secure_headers(client.get(reverse("account_login")))


def test_a_signed_in_page_carries_the_security_headers(sign_in: Callable[[User], Client], cast: Cast) -> None:
    _assert_secure_headers(sign_in(cast.office_a_cm).get(reverse("web:home")))


@pytest.mark.parametrize("name", ["account_login", "account_reset_password"])
def test_every_inline_script_is_data_or_carries_the_headers_nonce(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
        if "src=" in tag or 'type="application/json"' in tag:
            continue
        assert nonce is not None, tag
        assert f'nonce="{nonce.group(1)}"' in tag, tag


def test_an_error_page_is_not_cached_either(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
