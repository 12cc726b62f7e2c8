"""Settings for shinchoku: one module, every value from the environment.

``SHINCHOKU_ENV`` selects the posture:

* ``development`` (default): SQLite under ``var/``, secrets generated on first run into
  ``var/dev-secrets.json`` (never committed), e-mail written to ``var/mail/``.
* ``production``: every secret must be given (or ``NAME_FILE``); the process refuses to start
  with DEBUG on, HTTPS off, or a secret left at a development value (DESIGN T7).
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from shinchoku.lib import envconf
from shinchoku.lib.crypto import (
    KeyRing,
    KeyRingError,
    encode_key,
    generate_key,
    generate_key_spec,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envconf.env_str("SHINCHOKU_VAR_DIR", str(BASE_DIR / "var")))

ENV = envconf.env_str("SHINCHOKU_ENV", "development")
if ENV not in {"development", "production"}:
    raise ImproperlyConfigured("SHINCHOKU_ENV must be 'development' or 'production'")
PRODUCTION = ENV == "production"

DEBUG = envconf.env_bool("SHINCHOKU_DEBUG", default=False)
HTTPS = envconf.env_bool("SHINCHOKU_HTTPS", default=PRODUCTION)

# ---------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------
_SECRET_NAMES = (
    "DJANGO_SECRET_KEY",
    "SHINCHOKU_DATA_KEYS",
    "SHINCHOKU_INDEX_KEY",
    "SHINCHOKU_AUDIT_KEYS",
)
# Values copied from .env.example or documentation must never run a production service. Matched
# as prefixes (and "change-me" anywhere), so a random base64 key that happens to contain "demo"
# is not mistaken for one.
_PLACEHOLDER_ANYWHERE = ("change-me", "changeme", "replace-me")
_PLACEHOLDER_PREFIXES = ("dev-", "demo", "example", "insecure", "django-insecure", "test")


def _is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return any(m in lowered for m in _PLACEHOLDER_ANYWHERE) or lowered.startswith(_PLACEHOLDER_PREFIXES)


def _development_secrets() -> dict[str, str]:
    """Random per-machine secrets, created once with O_EXCL so parallel processes agree."""
    path = VAR_DIR / "dev-secrets.json"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fresh = {
            "DJANGO_SECRET_KEY": "dev-" + encode_key(generate_key() + generate_key()),
            "SHINCHOKU_DATA_KEYS": generate_key_spec("d1"),
            "SHINCHOKU_INDEX_KEY": encode_key(generate_key()),
            "SHINCHOKU_AUDIT_KEYS": generate_key_spec("a1"),
        }
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(fresh, handle, indent=2)
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _secret(name: str) -> str:
    value = envconf.env_optional(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set in production")
    return _development_secrets()[name]


SECRET_KEY = _secret("DJANGO_SECRET_KEY")
try:
    DATA_KEYRING = KeyRing.parse(_secret("SHINCHOKU_DATA_KEYS"), name="SHINCHOKU_DATA_KEYS")
    AUDIT_KEYRING = KeyRing.parse(_secret("SHINCHOKU_AUDIT_KEYS"), name="SHINCHOKU_AUDIT_KEYS")
    INDEX_KEY = KeyRing.parse(f"i:{_secret('SHINCHOKU_INDEX_KEY')}", name="SHINCHOKU_INDEX_KEY").active_key
except KeyRingError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

AXES_ENABLED_SETTING = envconf.env_bool("SHINCHOKU_AXES_ENABLED", default=True)
if PRODUCTION:
    _problems: list[str] = []
    if DEBUG:
        _problems.append("SHINCHOKU_DEBUG is on")
    if not HTTPS:
        _problems.append("SHINCHOKU_HTTPS is off")
    for _name in _SECRET_NAMES:
        # A key ring is "kid:key,kid:key": judge every key id and key, not just the whole string.
        _parts = [p for entry in _secret(_name).split(",") for p in entry.split(":", 1)]
        if any(_is_placeholder(p) for p in [_secret(_name), *_parts]):
            _problems.append(f"{_name} is a placeholder or development value")
    if not AXES_ENABLED_SETTING:
        _problems.append("SHINCHOKU_AXES_ENABLED is off (account lockout disabled)")
    if len(SECRET_KEY) < 50:
        _problems.append("DJANGO_SECRET_KEY is shorter than 50 characters")
    if len({DATA_KEYRING.active_key, AUDIT_KEYRING.active_key, INDEX_KEY}) != 3:
        _problems.append("the data, index and audit keys must all differ")
    if _problems:
        raise ImproperlyConfigured("refusing to start in production: " + "; ".join(_problems))

# ---------------------------------------------------------------------------------------------
# Hosts, HTTPS, cookies
# ---------------------------------------------------------------------------------------------
ALLOWED_HOSTS = envconf.env_list("SHINCHOKU_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("SHINCHOKU_ALLOWED_HOSTS must list the service's host names")
CSRF_TRUSTED_ORIGINS = envconf.env_list("SHINCHOKU_CSRF_TRUSTED_ORIGINS", [])
# The TLS-terminating reverse proxy sets this header; trust it only behind such a proxy.
if envconf.env_bool("SHINCHOKU_BEHIND_PROXY", default=PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SECURE_SSL_REDIRECT = HTTPS
# The load balancer probes /healthz over plain HTTP on the private side of the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 63072000 if HTTPS else 0  # two years, as hstspreload.org asks
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False  # preloading is the municipality's decision for its whole domain
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# The __Host- prefix pins a cookie to this exact host over HTTPS with Path=/ (no Domain).
SESSION_COOKIE_NAME = "__Host-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if HTTPS else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if HTTPS:
    LANGUAGE_COOKIE_NAME = "__Host-language"

# Sessions live in the database. The cookie dies with the browser (shared office PCs); the
# server enforces the idle and absolute limits itself (accounts.middleware.SessionPolicyMiddleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT = timedelta(minutes=envconf.env_int("SHINCHOKU_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(
    hours=envconf.env_int("SHINCHOKU_SESSION_ABSOLUTE_HOURS", 12, minimum=1, maximum=12)
)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's passkey list loads {% load humanize %}; without it that page fails with a 500.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "csp",
    "shinchoku.web",
    "shinchoku.insurers",
    "shinchoku.offices",
    "shinchoku.accounts",
    "shinchoku.cases",
    "shinchoku.lookup",
    "shinchoku.api",
    "shinchoku.audit",
    "shinchoku.ops",
    "shinchoku.checklists",
]

MIDDLEWARE = [
    # Outermost, so that every response, redirects included, carries Cache-Control: no-store.
    "shinchoku.web.middleware.NoStoreMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After MessageMiddleware: ending a session leaves a notice for the login page.
    "shinchoku.accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns a failed audit write inside a view into a 503 page (DESIGN T8, fail closed).
    "shinchoku.web.middleware.AuditFailClosedMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "shinchoku.accounts.middleware.SecondFactorRequiredMiddleware",
    # Axes must come last: it turns lockouts raised by its backend into our generic response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shinchoku.urls"
WSGI_APPLICATION = "shinchoku.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shinchoku" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "shinchoku.web.context_processors.shell",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database and cache
# ---------------------------------------------------------------------------------------------
_db_url = envconf.env_optional("DATABASE_URL")
if _db_url:
    DATABASES = {"default": environ.Env.db_url_config(_db_url)}
else:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL)")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "shinchoku.sqlite3",
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of
            # failing with "database is locked" when a read transaction upgrades to a write.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"].setdefault("CONN_MAX_AGE", envconf.env_int("SHINCHOKU_DB_CONN_MAX_AGE", 0, minimum=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envconf.env_optional("REDIS_URL")
# The cache must be shared by every app server: it holds the TOTP "code already used" marks
# and allauth's rate-limit counters. Redis when configured, the database otherwise.
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shinchoku_cache",
            # Django culls a third of the table, in key order, once it passes MAX_ENTRIES (300
            # by default) — that would drop TOTP "used" marks and reopen replays. Entries here
            # live at most a day, so the table stays small; expired rows are culled first.
            "OPTIONS": {"MAX_ENTRIES": 10_000_000},
        }
    }

# ---------------------------------------------------------------------------------------------
# Authentication (DESIGN T4; reasons in docs/security.md)
# ---------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "shinchoku.accounts.hashers.Argon2idHasher",
    # Kept only so that a hash from an older installation is upgraded at next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_MIN_LENGTH = 13
PASSWORD_MAX_LENGTH = 128
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "shinchoku.accounts.passwords.LengthValidator"},
    {"NAME": "shinchoku.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "shinchoku.accounts.passwords.ContextWordsValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "shinchoku.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False  # a reset never signs in: password and second factor follow
# allauth would mail an unknown address a sign-up link; sign-up does not exist here (the page
# failed with a 500, telling unknown addresses apart). Unknown addresses get no mail at all.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_SUBJECT_PREFIX = _("[介護認定 進捗照会] ")
# Per-account lockout of passwords is axes' job (below). allauth adds a per-IP cap on failed
# logins (password spraying across many accounts from one address), and its "login_failed"
# limit, which our adapter no longer applies to passwords, caps second-factor codes per user:
# 10 per 15 minutes and 30 per day, i.e. at most 30 guesses a day against a 6-digit code
# (docs/security.md, "Lockout and limits").
ACCOUNT_RATE_LIMITS = {
    "login_failed_ip": "50/15m/ip",
    # Every login POST, failed or not: generous enough for a whole office behind one NAT at 9:00.
    "login": "60/m/ip",
    "login_failed": "10/15m/key,30/d/key",
    "reset_password": "20/h/ip,5/h/key",
    "reset_password_from_key": "20/h/ip",
    "reauthenticate": "10/5m/user",
}

MFA_ADAPTER = "shinchoku.accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {
    "authenticate": "shinchoku.accounts.forms.AuthenticateForm",
    "reauthenticate": "shinchoku.accounts.forms.ReauthenticateForm",
    "activate_totp": "shinchoku.accounts.forms.ActivateTOTPForm",
}
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not HTTPS
MFA_TOTP_ISSUER = envconf.env_str("SHINCHOKU_TOTP_ISSUER", "shinchoku")
# Tolerance 0 keeps a code valid for one 30 s step only; allauth's "used" mark lasts one period,
# so any larger tolerance would reopen a replay window.
MFA_TOTP_TOLERANCE = 0
MFA_RECOVERY_CODE_COUNT = 10

USERSESSIONS_TRACK_ACTIVITY = False  # our session middleware records activity without a write per request

AXES_ENABLED = AXES_ENABLED_SETTING
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "shinchoku.accounts.lockout.username_from_request"
AXES_RESET_ON_SUCCESS = True
# A fixed 30 minutes: if every try during a lockout restarted it, anyone who knows a login ID
# could keep that person locked out for ever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "shinchoku.accounts.lockout.lockout_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False
# How many reverse proxies append to X-Forwarded-For in front of us; the client address is the
# entry that many places from the right (web.http.client_ip). 0 = use REMOTE_ADDR.
TRUSTED_PROXY_COUNT = envconf.env_int("SHINCHOKU_PROXY_COUNT", 1 if PRODUCTION else 0, minimum=0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PRODUCTION else ["REMOTE_ADDR"]

# ---------------------------------------------------------------------------------------------
# Content Security Policy (django-csp 4): nonces for inline scripts, nothing from elsewhere.
# ---------------------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# ---------------------------------------------------------------------------------------------
# Language, time, static files, e-mail, logging
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tokyo"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # Development serves from the app folders (finders); WhiteNoise still wants the root to exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

_email_url = envconf.env_optional("EMAIL_URL")
if _email_url:
    globals().update(environ.Env.email_url_config(_email_url))
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_URL must be set in production (smtp+tls://user:pass@host:587)")
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = envconf.env_str("SHINCHOKU_FROM_EMAIL", "shinchoku@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploaded files do not count against DATA_UPLOAD_MAX_MEMORY_SIZE; past FILE_UPLOAD_MAX_MEMORY_SIZE
# (Django's 2.5 MB) they are spooled to a temporary file. The import page refuses files larger
# than this (and reads at most this much into memory); the reverse proxy should cap the body too.
CASES_IMPORT_MAX_BYTES = envconf.env_int("SHINCHOKU_CASES_IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
# A JSON batch of the import API (at most 10,000 cases, which fit in a few MiB).
API_BATCH_MAX_BYTES = envconf.env_int("SHINCHOKU_API_BATCH_MAX_BYTES", 16 * 1024 * 1024, minimum=1024)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "shinchoku.web.logging.RedactIdentifiersFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {
        "handlers": ["stderr"],
        "level": envconf.env_str("SHINCHOKU_LOG_LEVEL", "INFO"),
    },
    "loggers": {
        # Django logs every 4xx with its path; paths never hold identifiers, but stay quiet.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# ---------------------------------------------------------------------------------------------
# shinchoku's own
# ---------------------------------------------------------------------------------------------
SERVICE_NAME = _("介護認定 進捗照会サービス")
# Audit events spread over this many hash chains per tenant so that concurrent writers of one
# insurer rarely wait on the same chain head (docs/architecture.md, "Audit trail").
AUDIT_CHAIN_STRIPES = envconf.env_int("SHINCHOKU_AUDIT_CHAIN_STRIPES", 8, minimum=1, maximum=64)
CSRF_FAILURE_VIEW = "shinchoku.web.errors.csrf_failure"
# Where people reach the service: links in e-mails sent outside a request (import notices).
BASE_URL = (envconf.env_optional("SHINCHOKU_BASE_URL") or "").rstrip("/")
if not BASE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured("SHINCHOKU_BASE_URL must be set in production (https://<the service's host>)")
    BASE_URL = "http://127.0.0.1:8000"

# Dormant accounts (DESIGN T3; accounts.dormancy, run daily by manage.py disable_dormant): an
# account nobody has signed in to for this many days is disabled, after an e-mail sent this many
# days before. Under 30 days ordinary absence (holidays, sick leave) would cost people their
# accounts; past a year the control means nothing. The warning needs a day at least, and the
# whole notice must fit in the period.
ACCOUNTS_DORMANT_DAYS = envconf.env_int("SHINCHOKU_DORMANT_DAYS", 90, minimum=30, maximum=365)
ACCOUNTS_DORMANT_WARNING_DAYS = envconf.env_int("SHINCHOKU_DORMANT_WARNING_DAYS", 14, minimum=1, maximum=30)
if ACCOUNTS_DORMANT_WARNING_DAYS >= ACCOUNTS_DORMANT_DAYS:
    raise ImproperlyConfigured("SHINCHOKU_DORMANT_WARNING_DAYS must be shorter than SHINCHOKU_DORMANT_DAYS")

# Invitations (accounts.invitations): a link to set one's own password is good for this many
# days. A day at least, since people read mail the next morning; a month at most, since an
# unused link sitting in a mailbox is a way into an account for whoever reads that mailbox.
ACCOUNTS_INVITATION_DAYS = envconf.env_int("SHINCHOKU_INVITATION_DAYS", 7, minimum=1, maximum=30)

# Sliding-window limits on care-manager lookups that found nothing (DESIGN T2). Each entry is
# (scope, window seconds, misses allowed in the window, cooling seconds); reaching the count
# stops that scope's lookups for the cooling period, which is never shorter than the window.
# The figures and their reasons are in docs/security.md ("Enumeration through the lookup").
LOOKUP_MISS_LIMITS: list[tuple[str, int, int, int]] = [
    ("user", 15 * 60, 5, 30 * 60),
    ("user", 24 * 3600, 20, 24 * 3600),
    ("office", 3600, 30, 3600),
    ("office", 24 * 3600, 100, 24 * 3600),
    ("ip", 3600, 50, 3600),
    ("global", 3600, 500, 3600),
]
# Office registration (issue 5): the proof of designation (指定通知書) an applicant uploads. A
# scanned A4 page is 0.2–2 MB as PDF or JPEG; 5 MiB leaves room for a phone photo, and the
# proof is kept encrypted in the database, so the bound also bounds each row. 64 KiB – 20 MiB.
PROOF_MAX_BYTES = envconf.env_int(
    "SHINCHOKU_PROOF_MAX_BYTES", 5 * 1024 * 1024, minimum=64 * 1024, maximum=20 * 1024 * 1024
)
# Submissions of the public registration form per client network (offices.throttle): (window
# seconds, submissions allowed in it). An office registers once and may need a few tries to get
# the form right; a company registering its several offices from one network in a day stays
# well inside. Reasons in docs/onboarding.md (section 4).
OFFICES_REGISTRATION_LIMITS: list[tuple[int, int]] = [(3600, 10), (24 * 3600, 30)]
SILENCED_SYSTEM_CHECKS = [
    # axes locks per account only: locking a whole IP would lock out every care manager behind
    # one office NAT. Per-IP failures are capped by allauth's "login_failed" limit above.
    "axes.W006",
    # HSTS preloading binds every subdomain of the municipality's domain for years; that is the
    # municipality's decision (docs/operations.md), not this application's.
    "security.W021",
]
