"""Production refuses to start with an insecure configuration and starts with a proper one
(DESIGN T7). Each case imports the settings in a fresh interpreter with a clean environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shinchoku import settings as project_settings
from shinchoku.lib import envconf
from shinchoku.lib.crypto import encode_key, generate_key

BASE_DIR = Path(__file__).resolve().parents[3]
SECRET_NAMES = ("DJANGO_SECRET_KEY", "SHINCHOKU_DATA_KEYS", "SHINCHOKU_INDEX_KEY", "SHINCHOKU_AUDIT_KEYS")
REFUSAL = "refusing to start in production"

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
names = ["DEBUG", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
         "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "LANGUAGE_COOKIE_NAME",
         "LANGUAGE_COOKIE_SECURE", "ALLOWED_HOSTS", "SECRET_KEY", "EMAIL_BACKEND"]
print(json.dumps({name: getattr(s, name) for name in names}))
"""


def _key() -> str:
    """A random key; one that starts like a placeholder by chance (~1 in 200,000) is redrawn."""
    while True:
        key = encode_key(generate_key())
        if not project_settings._is_placeholder(key):
            return key


def _production_env(tmp_path: Path) -> dict[str, str]:
    """Everything a production start needs, with freshly generated, distinct keys."""
    return {
        "SHINCHOKU_ENV": "production",
        "SHINCHOKU_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SECRET_KEY": _key() + _key(),
        "SHINCHOKU_DATA_KEYS": f"d1:{_key()}",
        "SHINCHOKU_INDEX_KEY": _key(),
        "SHINCHOKU_AUDIT_KEYS": f"a1:{_key()}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shinchoku.sqlite3'}",
        "EMAIL_URL": "smtp+tls://shinchoku:mail-password@mail.city.kumamoto.lg.jp:587",
        "SHINCHOKU_ALLOWED_HOSTS": "shinchoku.city.kumamoto.lg.jp",
        "SHINCHOKU_BASE_URL": "https://shinchoku.city.kumamoto.lg.jp",
    }


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "shinchoku.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _refused(tmp_path: Path, env: dict[str, str]) -> str:
    """Imports the settings; asserts the start was refused and returns what it said."""
    result = _run(tmp_path, env, "-c", "import shinchoku.settings")
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr


def _settings(tmp_path: Path, env: dict[str, str]) -> dict[str, object]:
    result = _run(tmp_path, env, "-c", SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, object] = json.loads(result.stdout)
    return loaded


def test_production_starts_with_a_proper_configuration_and_hardened_cookies(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    shown = _settings(tmp_path, env)
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert shown["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert shown["LANGUAGE_COOKIE_NAME"] == "__Host-language"
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["LANGUAGE_COOKIE_SECURE"] is True
    assert shown["SESSION_COOKIE_HTTPONLY"] is True
    assert shown["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert shown["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 63072000
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["ALLOWED_HOSTS"] == ["shinchoku.city.kumamoto.lg.jp"]
    assert shown["SECRET_KEY"] == env["DJANGO_SECRET_KEY"]
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


def test_the_deploy_check_finds_no_security_issue_in_production(tmp_path: Path) -> None:
    result = _run(tmp_path, _production_env(tmp_path), "manage.py", "check", "--deploy")
    assert result.returncode == 0, result.stderr
    assert "security." not in result.stdout + result.stderr


def test_production_refuses_to_start_with_debug_on(tmp_path: Path) -> None:
    said = _refused(tmp_path, {**_production_env(tmp_path), "SHINCHOKU_DEBUG": "true"})
    assert REFUSAL in said
    assert "SHINCHOKU_DEBUG is on" in said


def test_production_refuses_to_start_with_the_account_lockout_off(tmp_path: Path) -> None:
    said = _refused(tmp_path, {**_production_env(tmp_path), "SHINCHOKU_AXES_ENABLED": "off"})
    assert "SHINCHOKU_AXES_ENABLED is off" in said


def test_production_refuses_to_start_with_https_off(tmp_path: Path) -> None:
    said = _refused(tmp_path, {**_production_env(tmp_path), "SHINCHOKU_HTTPS": "off"})
    assert REFUSAL in said
    assert "SHINCHOKU_HTTPS is off" in said


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_production_refuses_to_start_when_a_secret_is_missing(tmp_path: Path, name: str) -> None:
    env = _production_env(tmp_path)
    del env[name]
    assert f"{name} (or {name}_FILE) must be set in production" in _refused(tmp_path, env)


@pytest.mark.parametrize("marker", ["change-me", "CHANGEME", "example", "insecure", "dev-"])
def test_production_refuses_a_secret_key_left_at_a_placeholder(tmp_path: Path, marker: str) -> None:
    env = _production_env(tmp_path)
    env["DJANGO_SECRET_KEY"] = marker + env["DJANGO_SECRET_KEY"]
    said = _refused(tmp_path, env)
    assert REFUSAL in said
    assert "DJANGO_SECRET_KEY is a placeholder or development value" in said


def test_production_accepts_a_random_key_that_merely_contains_a_marker_word(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    env["DJANGO_SECRET_KEY"] = "Zx" + "demo" + env["DJANGO_SECRET_KEY"]
    result = _run(tmp_path, env, "-c", "import shinchoku.settings")
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_key_ring_that_names_a_placeholder(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    env["SHINCHOKU_AUDIT_KEYS"] = f"change-me:{_key()}"
    assert "SHINCHOKU_AUDIT_KEYS is a placeholder or development value" in _refused(tmp_path, env)


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    env = {**_production_env(tmp_path), "DJANGO_SECRET_KEY": _key()[:40]}
    assert "DJANGO_SECRET_KEY is shorter than 50 characters" in _refused(tmp_path, env)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SHINCHOKU_INDEX_KEY", "{data}"),
        ("SHINCHOKU_AUDIT_KEYS", "a1:{data}"),
    ],
)
def test_production_refuses_equal_keys(tmp_path: Path, name: str, value: str) -> None:
    env = _production_env(tmp_path)
    data_key = env["SHINCHOKU_DATA_KEYS"].split(":", 1)[1]
    env[name] = value.format(data=data_key)
    said = _refused(tmp_path, env)
    assert REFUSAL in said
    assert "the data, index and audit keys must all differ" in said


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SHINCHOKU_ALLOWED_HOSTS", "SHINCHOKU_ALLOWED_HOSTS must list the service's host names"),
        ("SHINCHOKU_BASE_URL", "SHINCHOKU_BASE_URL must be set in production"),
        ("DATABASE_URL", "DATABASE_URL must be set in production"),
        ("EMAIL_URL", "EMAIL_URL must be set in production"),
    ],
)
def test_production_refuses_to_start_without_hosts_database_or_mail(tmp_path: Path, name: str, expected: str) -> None:
    env = _production_env(tmp_path)
    del env[name]
    assert expected in _refused(tmp_path, env)


def test_production_reads_every_secret_from_a_file(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    for name in SECRET_NAMES:
        path = tmp_path / name.lower()
        path.write_text(env.pop(name) + "\n", encoding="utf-8")
        path.chmod(0o600)
        env[f"{name}_FILE"] = str(path)
    shown = _settings(tmp_path, env)
    assert shown["SECRET_KEY"] == (tmp_path / "django_secret_key").read_text(encoding="utf-8").strip()


def test_a_secret_file_that_cannot_be_read_stops_the_start(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    env["DJANGO_SECRET_KEY_FILE"] = str(tmp_path / "missing")
    result = _run(tmp_path, env, "-c", "import shinchoku.settings")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FILE=" in result.stderr
    assert "cannot be read" in result.stderr


def test_development_keeps_plain_cookie_names_without_https(tmp_path: Path) -> None:
    shown = _settings(tmp_path, {"SHINCHOKU_VAR_DIR": str(tmp_path / "var")})
    assert shown["SESSION_COOKIE_NAME"] == "sessionid"
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0


# --- shinchoku.lib.envconf --------------------------------------------------------------------


def test_env_str_falls_back_to_the_default_and_fails_loudly_without_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHINCHOKU_TEST_VALUE", raising=False)
    assert envconf.env_str("SHINCHOKU_TEST_VALUE", "fallback") == "fallback"
    with pytest.raises(envconf.ConfigError, match="SHINCHOKU_TEST_VALUE must be set"):
        envconf.env_str("SHINCHOKU_TEST_VALUE")
    monkeypatch.setenv("SHINCHOKU_TEST_VALUE", "")
    assert envconf.env_optional("SHINCHOKU_TEST_VALUE") is None


def test_a_file_variable_wins_over_the_plain_one_and_is_stripped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("  from the file\n", encoding="utf-8")
    monkeypatch.setenv("SHINCHOKU_TEST_VALUE", "from the environment")
    monkeypatch.setenv("SHINCHOKU_TEST_VALUE_FILE", str(secret))
    assert envconf.env_str("SHINCHOKU_TEST_VALUE") == "from the file"


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("Yes", True), ("on", True), ("0", False), ("off", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("SHINCHOKU_TEST_FLAG", raw)
    assert envconf.env_bool("SHINCHOKU_TEST_FLAG", default=not expected) is expected


def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHINCHOKU_TEST_FLAG", "maybe")
    with pytest.raises(envconf.ConfigError, match="SHINCHOKU_TEST_FLAG must be one of"):
        envconf.env_bool("SHINCHOKU_TEST_FLAG", default=False)


def test_env_int_enforces_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHINCHOKU_TEST_MINUTES", "45")
    with pytest.raises(envconf.ConfigError, match="at most 30"):
        envconf.env_int("SHINCHOKU_TEST_MINUTES", 30, minimum=5, maximum=30)
    monkeypatch.setenv("SHINCHOKU_TEST_MINUTES", "2")
    with pytest.raises(envconf.ConfigError, match="at least 5"):
        envconf.env_int("SHINCHOKU_TEST_MINUTES", 30, minimum=5, maximum=30)
    monkeypatch.setenv("SHINCHOKU_TEST_MINUTES", "thirty")
    with pytest.raises(envconf.ConfigError, match="must be an integer"):
        envconf.env_int("SHINCHOKU_TEST_MINUTES", 30)
    monkeypatch.setenv("SHINCHOKU_TEST_MINUTES", "20")
    assert envconf.env_int("SHINCHOKU_TEST_MINUTES", 30, minimum=5, maximum=30) == 20


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHINCHOKU_TEST_HOSTS", " a.example , ,b.example,")
    assert envconf.env_list("SHINCHOKU_TEST_HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("SHINCHOKU_TEST_HOSTS", "  ")
    assert envconf.env_list("SHINCHOKU_TEST_HOSTS", ["localhost"]) == ["localhost"]
