"""The Django side of the lookup benchmark, run inside ``manage.py shell -c`` with the bench
settings: ``seed`` fills the scratch database, ``verify`` counts what the run left behind,
``profile`` measures one lookup in-process (queries and where the time goes).

Each step writes its findings as JSON to the path it is given; bench/bench_lookup.py reads it.
"""

from __future__ import annotations

import contextlib
import cProfile
import functools
import io
import json
import pstats
import random
import re
import secrets
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.db.models import Count
from django.forms.boundfield import BoundField
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shinchoku.accounts.roles import Role
from shinchoku.accounts.services import totp_enrol_for_setup, user_create
from shinchoku.audit.events import EventType
from shinchoku.audit.models import AuditEvent
from shinchoku.cases.codes import Source
from shinchoku.cases.identity import Sealer
from shinchoku.cases.models import Case
from shinchoku.cases.services import case_content_digest
from shinchoku.insurers.services import insurer_create
from shinchoku.lib.synthetic import SyntheticCase, generate_cases, office_number_pool
from shinchoku.lookup import selectors as lookup_selectors
from shinchoku.lookup import services as lookup_services
from shinchoku.lookup import views as lookup_views
from shinchoku.lookup.forms import LookupForm
from shinchoku.lookup.limits import DatabaseCounter
from shinchoku.lookup.models import Alert, MissWindow
from shinchoku.offices.models import ApprovalStatus, OfficeKind
from shinchoku.offices.services import approval_set_status, office_create
from shinchoku.ops.demo import current_totp

INSURER = ("431007", "熊本市")
OFFICE = ("4370100010", "みどり居宅介護支援事業所")
EMAIL_DOMAIN = "bench.shinchoku.example"  # .example never receives mail (RFC 2606)
LINKED_EVERY = 10  # one case in ten names the benchmark office as its office on file
BATCH = 5000
HIT_KEYS = 20_000  # keys handed to the load generator for hits (a uniform sample of all cases)
PROFILED_LOOKUPS = 200


def _case(sealer: Sealer, insurer_id: int, row: SyntheticCase, office_number: str) -> Case:
    case = Case(
        insurer_id=insurer_id,
        insured_index=sealer.index(row.insured_number),
        insured_number_enc=sealer.encrypt(row.insured_number),
        applied_on=row.applied_on,
        application_kind=row.application_kind,
        survey_requested_on=row.survey_requested_on,
        survey_scheduled_on=row.survey_scheduled_on,
        survey_done_on=row.survey_done_on,
        opinion_requested_on=row.opinion_requested_on,
        opinion_received_on=row.opinion_received_on,
        primary_judged_on=row.primary_judged_on,
        committee_scheduled_on=row.committee_scheduled_on,
        committee_held_on=row.committee_held_on,
        certified_on=row.certified_on,
        result_sent_on=row.result_sent_on,
        closure=row.closure,
        closed_on=row.closed_on,
        extension_notified_on=row.extension_notified_on,
        extension_reason=row.extension_reason,
        extension_expected_on=row.extension_expected_on,
        office_number=office_number,
        care_level=row.care_level,
        source=Source.IMPORT,
        updated_at=timezone.now(),
    )
    case.content_digest = case_content_digest(case)
    return case


def seed(*, out: str, cases: int, users: int, seed_value: int) -> None:
    """Insurer 431007 熊本市, one approved office, ``users`` care managers with TOTP (plus one
    for the profile step), and ``cases`` cases of the insurer, a tenth linked to the office."""
    started = time.perf_counter()
    insurer = insurer_create(actor=None, number=INSURER[0], name=INSURER[1])
    office = office_create(actor=None, number=OFFICE[0], name=OFFICE[1], kind=OfficeKind.HOME_CARE_SUPPORT)
    approval_set_status(actor=None, insurer=insurer, office=office, status=ApprovalStatus.APPROVED)

    password = "bench " + secrets.token_urlsafe(18)
    hashed = make_password(password)  # Argon2id at production cost: hash once, share it
    accounts: list[dict[str, str]] = []
    for n in range(users + 1):
        email = f"cm{n:03d}@{EMAIL_DOMAIN}" if n < users else f"profile@{EMAIL_DOMAIN}"
        user = user_create(
            actor=None, email=email, display_name=email.split("@", maxsplit=1)[0], role=Role.CARE_MANAGER, office=office
        )
        user.password = hashed
        user.save(update_fields=["password"])
        secret = generate_totp_secret()
        totp_enrol_for_setup(actor=None, user=user, secret=secret)
        accounts.append({"email": email, "secret": secret})

    sealer = Sealer(insurer.number)
    others = office_number_pool(insurer.number[:2], seed=seed_value)
    keys: list[tuple[str, str, str]] = []
    batch: list[Case] = []
    rows = generate_cases(
        insurer_number=insurer.number,
        count=cases,
        as_of=timezone.localdate(),
        seed=seed_value,
        span_days=180,
        office_numbers=[n for n in others if n != office.number],
    )
    with transaction.atomic():
        for i, row in enumerate(rows):
            linked = i % LINKED_EVERY == 0
            batch.append(_case(sealer, insurer.pk, row, office.number if linked else row.office_number))
            keys.append((row.insured_number, row.applied_on.isoformat(), row.application_kind))
            if len(batch) == BATCH:
                Case.objects.bulk_create(batch)
                batch = []
        Case.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics and visibility map before measuring

    rng = random.Random(seed_value)  # noqa: S311 - a reproducible sample, not a secret
    sample = rng.sample(keys, min(HIT_KEYS, len(keys)))
    first, last = min(k[1] for k in keys), max(k[1] for k in keys)
    Path(out).write_text(
        json.dumps(
            {
                "insurer": insurer.number,
                "password": password,
                "users": accounts[:users],
                "profile_user": accounts[users],
                "cases": Case.objects.count(),
                "linked": Case.objects.filter(office_number=office.number).count(),
                "hit_keys": sample,
                "applied_from": first,
                "applied_to": last,
                "seconds": time.perf_counter() - started,
            }
        ),
        encoding="utf-8",
    )


def verify(*, out: str) -> None:
    """What the run left: lookup audit rows by outcome, stops, alerts, the counters' rows."""
    audited = dict(
        AuditEvent.objects.filter(event_type=EventType.LOOKUP_CASE_LOOKED_UP)
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), max(jsonb_array_length(stamps)) FROM {MissWindow._meta.db_table}")  # noqa: S608 - a model's table name
        windows = cursor.fetchone()
    Path(out).write_text(
        json.dumps(
            {
                "audited": audited,
                "limit_events": AuditEvent.objects.filter(event_type=EventType.LOOKUP_LIMIT_EXCEEDED).count(),
                "alerts": Alert.objects.count(),
                "ever_blocked": MissWindow.objects.filter(blocked_until__isnull=False).count(),
                "blocked_now": MissWindow.objects.filter(blocked_until__gt=now).count(),
                "miss_windows": windows[0] if windows else 0,
                "longest_stamp_list": windows[1] if windows else 0,
            }
        ),
        encoding="utf-8",
    )


def _sign_in(email: str, password: str, secret: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    step = client.post("/accounts/login/", {"login": email, "password": password, "csrfmiddlewaretoken": token})
    if step.status_code != 302 or step["Location"] != "/accounts/2fa/authenticate/":
        raise RuntimeError(f"profile sign-in: password step answered {step.status_code}")
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)  # a code about to expire would be refused
    token = client.cookies["csrftoken"].value
    done = client.post("/accounts/2fa/authenticate/", {"code": current_totp(secret), "csrfmiddlewaretoken": token})
    if done.status_code != 302:
        raise RuntimeError(f"profile sign-in: second factor answered {done.status_code}")
    return client


def _form(insurer: str, key: list[str], token: str) -> dict[str, str]:
    number, applied_on, kind = key
    return {
        "csrfmiddlewaretoken": token,
        "insurer": insurer,
        "insured_number": number,
        "applied_on_date": applied_on,
        "applied_on_text": "",
        "application_kind": kind,
    }


def _queries(run: Callable[[], Any]) -> dict[str, Any]:
    """The statements one request sends (BEGIN/SAVEPOINT/COMMIT included) and their time."""
    timed: list[float] = []

    def clock(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(time.perf_counter() - started)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(clock):
        started = time.perf_counter()
        run()
        elapsed = time.perf_counter() - started
    return {
        "count": len(captured.captured_queries),
        "db_ms": sum(timed) * 1000,  # statements through cursors (not BEGIN/COMMIT)
        "ms": elapsed * 1000,
        "queries": [q["sql"] for q in captured.captured_queries],
    }


# Where a lookup's time goes: functions wrapped with a stopwatch for the timed run (wall clock,
# nested parts included in their parents). cProfile's per-call overhead would inflate the
# call-heavy parts (ORM, templates) several times over, so it only goes to a file for digging.
PARTS: tuple[tuple[str, object, str], ...] = (
    ("session load", SessionStore, "load"),
    ("user load", ModelBackend, "get_user"),
    ("approving insurers (lookup_access)", lookup_selectors, "lookup_access"),
    ("form validation", LookupForm, "full_clean"),
    ("case_lookup service, in all", lookup_services, "case_lookup"),
    ("↳ miss limits: blocked?", DatabaseCounter, "blocked"),
    ("↳ case_by_key (insurer + case queries)", lookup_selectors, "case_by_key"),
    ("↳ miss limits: record_miss (misses only)", DatabaseCounter, "record_miss"),
    ("↳ audit row (audit_record_or_refuse)", lookup_services, "audit_record_or_refuse"),
    ("↳ decrypt the number (hits only)", lookup_services, "decrypt_insured"),
    ("↳ progress and timeline (case_progress)", lookup_services, "case_progress"),
    ("render the page", lookup_views, "render"),
    ("↳ form widgets", BoundField, "as_widget"),
)


def _stopwatch(total: dict[str, float], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            total[name] += time.perf_counter() - started

    return timed


_SUBQUERY = re.compile(r"\([^()]*\)")
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE) "(\w+)"')


def _signature(sql: str) -> str:
    """ "SELECT cases_case", "INSERT audit_auditevent", "SAVEPOINT" …: verb and main table."""
    flat = sql
    while (shorter := _SUBQUERY.sub("", flat)) != flat:
        flat = shorter
    table = _TABLE.search(flat)
    verb = sql.split(maxsplit=1)[0]
    return f"{verb} {table.group(1)}" if table else verb


def _breakdown(run: Callable[[], None], requests: int) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """Milliseconds per request of each part, of all SQL (cursor time), and of the whole; and
    the SQL cursor time per request by statement."""
    total = dict.fromkeys([name for name, _, _ in PARTS], 0.0)
    total["SQL statements (cursor time, all of the above)"] = 0.0
    by_statement: dict[str, float] = {}

    def clock(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            total["SQL statements (cursor time, all of the above)"] += elapsed
            by_statement[_signature(sql)] = by_statement.get(_signature(sql), 0.0) + elapsed

    with contextlib.ExitStack() as stack:
        for name, owner, attribute in PARTS:
            stack.enter_context(mock.patch.object(owner, attribute, _stopwatch(total, name, getattr(owner, attribute))))
        stack.enter_context(connection.execute_wrapper(clock))
        started = time.perf_counter()
        run()
        whole = time.perf_counter() - started
    parts = [("whole request (test client)", whole / requests * 1000)]
    parts += [(name, seconds / requests * 1000) for name, seconds in total.items()]
    return parts, {name: seconds / requests * 1000 for name, seconds in by_statement.items()}


def profile(*, seeded: str, out: str) -> None:
    """One signed-in care manager in-process (Django's test client through the whole
    middleware stack, CSRF enforced): the queries of a hit and a miss on each endpoint, the
    mean in-process time of each, where a lookup's time goes, and a cProfile for digging."""
    data = json.loads(Path(seeded).read_text(encoding="utf-8"))
    who = data["profile_user"]
    client = _sign_in(who["email"], data["password"], who["secret"])
    token = client.cookies["csrftoken"].value
    insurer = data["insurer"]
    rng = random.Random(7)  # noqa: S311 - reproducible sample, not a secret
    hits: list[list[str]] = rng.sample(data["hit_keys"], PROFILED_LOOKUPS)
    first = date.fromisoformat(data["applied_from"])
    misses = [
        [f"{rng.randrange(10**9):010d}", (first + timedelta(days=rng.randrange(150))).isoformat(), key[2]]
        for key in hits
    ]

    def post(path: str, key: list[str], cookies: bool = True) -> None:
        target = client if cookies else Client(HTTP_HOST="127.0.0.1")
        response = target.post(path, _form(insurer, key, token))
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")

    for path in ("/lookup/", "/bench/bare/"):  # warm both paths (templates, connections)
        post(path, hits[0], cookies=path == "/lookup/")
    found: dict[str, Any] = {
        "lookup_hit": _queries(lambda: post("/lookup/", hits[1])),
        "lookup_miss": _queries(lambda: post("/lookup/", misses[1])),
        "bare_hit": _queries(lambda: post("/bench/bare/", hits[1], cookies=False)),
        "bare_miss": _queries(lambda: post("/bench/bare/", misses[1], cookies=False)),
    }
    bare_client = Client(HTTP_HOST="127.0.0.1")
    timings: dict[str, float] = {}
    for name, path, target in (("lookup", "/lookup/", client), ("bare", "/bench/bare/", bare_client)):
        started = time.perf_counter()
        for i in range(PROFILED_LOOKUPS):
            key = hits[i] if i % 5 else misses[i]  # 80% hits, as under load
            target.post(path, _form(insurer, key, token))
        timings[name] = (time.perf_counter() - started) / PROFILED_LOOKUPS * 1000
    found["in_process_ms"] = timings

    def lookups() -> None:
        for i in range(PROFILED_LOOKUPS):
            client.post("/lookup/", _form(insurer, hits[i] if i % 5 else misses[i], token))

    found["lookups"] = PROFILED_LOOKUPS
    found["breakdown"], found["sql_by_statement"] = _breakdown(lookups, PROFILED_LOOKUPS)
    profiler = cProfile.Profile()
    profiler.runcall(lookups)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(80)
    found["cprofile"] = text.getvalue()
    profiler.dump_stats(Path(out).with_suffix(".pstats"))
    Path(out).write_text(json.dumps(found), encoding="utf-8")
