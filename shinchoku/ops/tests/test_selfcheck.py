from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from shinchoku.audit import triggers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_async_unsafe(monkeypatch: pytest.MonkeyPatch) -> None:
    # Set for the browser tests (conftest.py); a real deployment must not have it.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


PRODUCTION_LIKE = {
    "HTTPS": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 63072000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "ALLOWED_HOSTS": ["shinchoku.city.example.jp"],
    "BASE_URL": "https://shinchoku.city.example.jp",
}


def _ids() -> set[str]:
    found = checks.run_checks(include_deployment_checks=True, databases=["default"])
    return {m.id for m in found if m.level >= checks.WARNING and not m.is_silenced() and m.id}


def test_a_production_like_configuration_passes_except_for_the_database_engine() -> None:
    with override_settings(**PRODUCTION_LIKE):
        expected = set() if connection.vendor == "postgresql" else {"shinchoku.W001"}
        assert _ids() == expected


def test_plain_http_is_an_error() -> None:
    with override_settings(**{**PRODUCTION_LIKE, "HTTPS": False}):
        assert "shinchoku.E004" in _ids()


def test_a_per_process_cache_is_an_error_because_totp_replay_marks_would_not_be_shared() -> None:
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(**PRODUCTION_LIKE, CACHES=local):
        assert "shinchoku.E002" in _ids()


@pytest.mark.parametrize("base_url", ["http://shinchoku.city.example.jp", "https://127.0.0.1:8000", ""])
def test_links_in_e_mails_must_point_at_the_public_https_address(base_url: str) -> None:
    with override_settings(**{**PRODUCTION_LIKE, "BASE_URL": base_url}):
        assert "shinchoku.E005" in _ids()


def test_a_broken_miss_limit_stops_the_start() -> None:
    broken = [("user", 900, 5, 60)]  # cooling shorter than the window
    with override_settings(LOOKUP_MISS_LIMITS=broken):
        assert "shinchoku.E006" in {m.id for m in checks.run_checks()}


def test_a_scope_without_a_miss_limit_is_reported() -> None:
    with override_settings(LOOKUP_MISS_LIMITS=[("user", 900, 5, 1800)]):
        found = [m for m in checks.run_checks() if m.id == "shinchoku.W003"]
    assert len(found) == 1 and "office" in found[0].msg and "global" in found[0].msg


def test_a_wildcard_host_is_an_error() -> None:
    with override_settings(**{**PRODUCTION_LIKE, "ALLOWED_HOSTS": ["*"]}):
        assert "shinchoku.E003" in _ids()


@pytest.fixture
def triggers_dropped() -> Iterator[None]:
    triggers.remove(connection)
    yield
    triggers.install(connection)


@pytest.mark.usefixtures("triggers_dropped")
def test_missing_audit_triggers_are_reported_even_without_deploy_checks() -> None:
    found = checks.run_checks(databases=["default"])
    assert "shinchoku.E001" in {m.id for m in found}


def test_the_selfcheck_command_fails_and_says_why_in_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError):
        call_command("selfcheck")
    out = capsys.readouterr().out
    assert "NG [shinchoku.E004] HTTPS が無効です" in out


def test_the_selfcheck_command_passes_a_good_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only a PostgreSQL installation passes every check; `make test` runs this on PostgreSQL")
    with override_settings(**PRODUCTION_LIKE):
        call_command("selfcheck")
    assert capsys.readouterr().out.startswith("OK:")
