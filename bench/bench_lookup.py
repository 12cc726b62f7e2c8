"""Lookup benchmark (DESIGN §8): the full care-manager lookup against a bare view doing the same
indexed SELECT, both served by one gunicorn on PostgreSQL, measured side by side in one run.

    uv run python bench/bench_lookup.py                      # 100,000 cases, 40 users, 3 × 20 s rounds
    uv run python bench/bench_lookup.py --cases 2000 --users 8 --seconds 5 --rounds 1 --no-report

Target: the lookup reaches at least 50% of the bare view's requests per second.

Steps: a scratch database (migrate, createcachetable); one ``manage.py shell`` step with the
bench settings (bench/lookup_site/steps.py) creates insurer 431007 熊本市, one approved office,
the care managers (TOTP enrolled) and the cases; gunicorn serves bench.lookup_site (the product
plus ``bench/bare/``); every virtual care manager signs in through the login and TOTP pages
and keeps its cookies; then bare and lookup phases alternate for a few rounds, each care
manager posting keys in a loop (80% hits, 20% misses by default), each request on a new
connection as nginx's ``proxy_pass`` sends it in production (``--connection keep-alive`` to keep
one per care manager instead). Afterwards the audit rows are counted against the lookups sent, and one lookup is
profiled in-process (queries, time). gunicorn and the scratch database go away at the end,
whatever happened.

The load generator is a few processes of one thread per care manager, speaking just enough
HTTP/1.1 over plain sockets (http.client's header parsing would cost more CPU than the bare
view); it runs on the same cores as gunicorn and PostgreSQL, and its CPU per request is
reported next to theirs.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.cookies import SimpleCookie
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, django_env, drop_database, machine_line, manage, pg_url, recreate_database, write_section

DATABASE = f"shinchoku_bench_lookup_{os.getpid()}"
SETTINGS = "bench.lookup_site.settings"
LOOKUP, BARE = "/lookup/", "/bench/bare/"
USER_AGENT = "shinchoku-bench-lookup/1"
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
HIT_MARK = '<h2 id="result-heading">照会結果</h2>'.encode()
MISS_MARK = "該当する申請が見つかりません".encode()
# allauth's "login" limit is 60 POSTs a minute per address and every care manager signs in
# from 127.0.0.1: stay below it.
LOGINS_PER_MINUTE = 50
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- a minimal HTTP/1.1 client: just what gunicorn + Django answer here --------------------------


class HttpError(Exception):
    pass


class Http:
    """One connection, kept alive unless either side says close. Django's CommonMiddleware gives every answer here a
    Content-Length, so that is all the framing this needs (no chunked encoding)."""

    # gunicorn closes a keep-alive connection after 2 s idle (its --keep-alive default): past
    # this, open a new one rather than race the server's close.
    IDLE = 1.5

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.used = 0.0

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(262144)
        if not chunk:
            raise HttpError("connection closed by the server")
        return chunk

    def exchange(self, request: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        if self.sock is None or time.monotonic() - self.used > self.IDLE:
            self.connect()
        assert self.sock is not None
        try:
            self.sock.sendall(request)
            while b"\r\n\r\n" not in self.buffer:
                self.buffer += self._recv()
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(b":") for line in lines[1:])]
            lengths = [int(v) for k, v in headers if k == b"content-length"]
            if not lengths:
                raise HttpError(f"answer {status} without Content-Length")
            while len(rest) < lengths[0]:
                rest += self._recv()
            body, self.buffer = rest[: lengths[0]], rest[lengths[0] :]
        except (OSError, HttpError, ValueError, IndexError):
            self.close()
            raise
        self.used = time.monotonic()
        if (b"connection", b"close") in headers:
            self.close()
        return status, headers, body


def request_bytes(
    method: str, path: str, port: int, *, fields: dict[str, str] | None, cookie: str, close: bool = False
) -> bytes:
    body = urlencode(fields).encode() if fields is not None else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"User-Agent: {USER_AGENT}"]
    if close:
        lines.append("Connection: close")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if fields is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Browser:
    """A person's cookies and connection, as a browser keeps them."""

    def __init__(self, port: int) -> None:
        self.http = Http(port)
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def remember(self, headers: list[tuple[bytes, bytes]]) -> None:
        for name, value in headers:
            if name != b"set-cookie":
                continue
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.decode("latin-1"))
            for key, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value

    def send(
        self, method: str, path: str, fields: dict[str, str] | None = None
    ) -> tuple[int, dict[bytes, bytes], bytes]:
        raw = request_bytes(method, path, self.port, fields=fields, cookie=self.cookie_header())
        status, headers, body = self.http.exchange(raw)
        self.remember(headers)
        return status, dict(headers), body


def totp(secret: str, at: float) -> str:
    """RFC 6238 as allauth checks it (SHA-1, 30 s, 6 digits); the load generator runs without Django."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.digest(key, (int(at) // 30).to_bytes(8, "big"), hashlib.sha1)
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def csrf_token(body: bytes) -> str:
    match = CSRF_FIELD.search(body)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1).decode()


class LoginPacer:
    """Keeps login POSTs from this address under allauth's per-address limit."""

    def __init__(self) -> None:
        self.sent: deque[float] = deque()

    def wait(self) -> None:
        while len(self.sent) >= LOGINS_PER_MINUTE:
            pause = self.sent[0] + 61 - time.monotonic()
            if pause <= 0:
                self.sent.popleft()
            else:
                print(f"  pausing {pause:.0f} s for the per-address login limit", flush=True)
                time.sleep(pause)
        self.sent.append(time.monotonic())


@dataclass
class SignedIn:
    email: str
    cookies: dict[str, str]
    token: str


def sign_in(port: int, email: str, password: str, secret: str, pacer: LoginPacer) -> SignedIn:
    """Password page, then the TOTP page with a fresh code, then the lookup page: a real sign-in."""
    browser = Browser(port)
    status, _, body = browser.send("GET", "/accounts/login/")
    pacer.wait()
    status, headers, _ = browser.send(
        "POST", "/accounts/login/", {"csrfmiddlewaretoken": csrf_token(body), "login": email, "password": password}
    )
    if status != 302 or headers.get(b"location") != b"/accounts/2fa/authenticate/":
        raise RuntimeError(f"{email}: the password step answered {status} {headers.get(b'location')!r}")
    status, _, body = browser.send("GET", "/accounts/2fa/authenticate/")
    if 30 - time.time() % 30 < 2:  # tolerance 0: a code about to roll over would be refused
        time.sleep(30 - time.time() % 30 + 0.1)
    status, headers, _ = browser.send(
        "POST",
        "/accounts/2fa/authenticate/",
        {"csrfmiddlewaretoken": csrf_token(body), "code": totp(secret, time.time())},
    )
    if status != 302:
        raise RuntimeError(f"{email}: the TOTP step answered {status}")
    status, _, body = browser.send("GET", LOOKUP)
    if status != 200 or "進捗照会".encode() not in body:
        raise RuntimeError(f"{email}: the lookup page answered {status}")
    browser.http.close()
    return SignedIn(email=email, cookies=dict(browser.cookies), token=csrf_token(body))


# -- the load: client processes, one thread per care manager ------------------------------------


@dataclass(frozen=True)
class Phase:
    endpoint: str  # "bare" or "lookup"
    round: int
    start: float  # wall clock, shared by every client process
    end: float


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    last_done: float = 0.0
    body_bytes: int = 0
    per_user: list[int] = field(default_factory=list)  # requests each care manager completed
    miss_latencies: list[float] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.hits += other.hits
        self.misses += other.misses
        self.errors += other.errors
        self.body_bytes += other.body_bytes
        self.per_user += other.per_user
        self.miss_latencies += other.miss_latencies
        self.samples += other.samples[: max(0, 5 - len(self.samples))]
        self.last_done = max(self.last_done, other.last_done)


@dataclass(frozen=True)
class Keys:
    insurer: str
    hits: list[tuple[str, str, str]]
    applied_from: date
    days: int
    kinds: list[str]
    hit_share: float
    close: bool  # a new connection for every request, as a proxy without upstream keep-alive does


class VirtualUser:
    def __init__(self, index: int, port: int, who: SignedIn, keys: Keys, seed: int) -> None:
        self.index, self.port, self.who, self.keys, self.seed = index, port, who, keys, seed
        self.http = Http(port)

    def _key(self, rng: random.Random) -> tuple[bool, tuple[str, str, str]]:
        keys = self.keys
        if rng.random() < keys.hit_share:
            return True, rng.choice(keys.hits)
        # A number nobody has (10⁵ cases among 10¹⁰ numbers), on a day and kind that exist.
        day = keys.applied_from + timedelta(days=rng.randrange(keys.days))
        return False, (f"{rng.randrange(10**10):010d}", day.isoformat(), rng.choice(keys.kinds))

    def run(self, phase: Phase) -> Tally:
        # The same key sequence for the bare and the lookup phase of a round.
        rng = random.Random(f"{self.seed}:{self.index}:{phase.round}")  # noqa: S311 - test keys, not secrets
        lookup = phase.endpoint == "lookup"
        path = LOOKUP if lookup else BARE
        cookie = "; ".join(f"{k}={v}" for k, v in self.who.cookies.items()) if lookup else ""
        tally = Tally()
        time.sleep(max(0.0, phase.start - time.time()))
        self.http.connect()  # fresh each phase: the last one idled out between phases
        while time.time() < phase.end:
            hit, (number, applied_on, kind) = self._key(rng)
            fields = {
                "insurer": self.keys.insurer,
                "insured_number": number,
                "applied_on_date": applied_on,
                "applied_on_text": "",
                "application_kind": kind,
            }
            if lookup:
                fields = {"csrfmiddlewaretoken": self.who.token, **fields}
            raw = request_bytes("POST", path, self.port, fields=fields, cookie=cookie, close=self.keys.close)
            started = time.perf_counter()
            try:
                status, headers, body = self.http.exchange(raw)
            except (OSError, HttpError, ValueError, IndexError) as exc:
                tally.errors += 1
                tally.samples.append(f"{path}: {exc!r}")
                time.sleep(0.05)
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.body_bytes += len(body)
            if hit:
                tally.hits += 1
            else:
                tally.misses += 1
                tally.miss_latencies.append(tally.latencies[-1])
            if lookup:
                ok = status == 200 and (HIT_MARK in body) == hit and (MISS_MARK in body) != hit
                for name, value in headers:
                    if name == b"set-cookie" and value.startswith(b"sessionid="):  # a saved session, same key
                        self.who.cookies["sessionid"] = value.split(b";", 1)[0].split(b"=", 1)[1].decode()
                        cookie = "; ".join(f"{k}={v}" for k, v in self.who.cookies.items())
            else:
                ok = status == 200 and (body == b"not found") != hit
            if not ok:
                tally.errors += 1
                tally.samples.append(f"{path} {'hit' if hit else 'miss'}: {status} {body[:120]!r}")
        tally.last_done = time.time()
        tally.per_user = [len(tally.latencies)]
        self.http.close()
        return tally


def client_main(pipe: Connection, port: int, users: list[tuple[int, SignedIn]], keys: Keys, seed: int) -> None:
    """One load process: runs each phase it is sent with one thread per care manager."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    people = [VirtualUser(index, port, who, keys, seed) for index, who in users]
    while True:
        order = pipe.recv()
        if order is None:
            break
        phase: Phase = order
        before = resource.getrusage(resource.RUSAGE_SELF)
        tallies: list[Tally] = [Tally() for _ in people]

        def work(i: int, phase: Phase = phase, tallies: list[Tally] = tallies) -> None:
            tallies[i] = people[i].run(phase)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(people))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = resource.getrusage(resource.RUSAGE_SELF)
        total = Tally()
        for tally in tallies:
            total.merge(tally)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        pipe.send((total, cpu))


# -- CPU accounting from /proc: gunicorn, this database's PostgreSQL backends, the machine -------


def _proc_stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, user+system ticks) of a process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def cpu_ticks(gunicorn_pid: int) -> dict[str, dict[str, int]]:
    server: dict[str, int] = {}
    postgres: dict[str, int] = {}
    marker = f" {DATABASE} ".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _proc_stat(entry)
        if stat is None:
            continue
        parent, ticks = stat
        if int(entry) == gunicorn_pid or parent == gunicorn_pid:
            server[entry] = ticks
            continue
        with contextlib.suppress(OSError):
            if marker in Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ") + b" ":
                postgres[entry] = ticks
    return {"server": server, "postgres": postgres}


def machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Result:
    phase: Phase
    tally: Tally
    seconds: float
    cpu: dict[str, float]  # CPU seconds: server, postgres, client; and machine busy fraction

    @property
    def requests(self) -> int:
        return len(self.tally.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run_phase(phase: Phase, pipes: list[Connection], gunicorn_pid: int) -> Result:
    before, machine_before = cpu_ticks(gunicorn_pid), machine_ticks()
    # Sampled through the phase: a PostgreSQL backend that ends mid-phase (CONN_MAX_AGE=60
    # recycles them) takes its CPU time with it; the last sample keeps all but the last second.
    latest = {group: dict(pids) for group, pids in before.items()}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            for group, pids in cpu_ticks(gunicorn_pid).items():
                latest[group].update(pids)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for pipe in pipes:
        pipe.send(phase)
    total, client_cpu = Tally(), 0.0
    try:
        for pipe in pipes:
            tally, cpu = pipe.recv()
            total.merge(tally)
            client_cpu += cpu
    finally:
        stop.set()
        sampler.join()
    machine_after = machine_ticks()
    for group, pids in cpu_ticks(gunicorn_pid).items():
        latest[group].update(pids)
    used = {
        group: sum(ticks - before[group].get(pid, 0) for pid, ticks in latest[group].items()) / CLOCK_TICKS
        for group in ("server", "postgres")
    }
    busy_ticks = machine_after[0] - machine_before[0]
    busy = busy_ticks / max(1, machine_after[1] - machine_before[1])
    # Whatever else ran on the machine meanwhile (other people's test runs share these cores).
    other = busy_ticks / CLOCK_TICKS - used["server"] - used["postgres"] - client_cpu
    return Result(
        phase, total, total.last_done - phase.start, {**used, "client": client_cpu, "other": other, "busy": busy}
    )


# -- the run --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, HttpError):
            http = Http(port)
            status, _, _ = http.exchange(request_bytes("GET", "/healthz", port, fields=None, cookie=""))
            http.close()
            if status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn's graceful stop: the master ends its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # the session gunicorn was started in: its own workers only
        server.wait(timeout=10)


def step(env: dict[str, str], call: str, out: Path) -> dict[str, Any]:
    manage(["shell", "-c", f"from bench.lookup_site import steps; steps.{call}"], env)
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values, in milliseconds."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] * 1000


@dataclass
class Summary:
    requests: int
    seconds: float
    p50: float
    p90: float
    p99: float
    errors: int
    cpu: dict[str, float]
    body_bytes: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def per_request_ms(self, group: str) -> float:
        return self.cpu[group] / self.requests * 1000


def summarise(results: list[Result]) -> Summary:
    latencies = sorted(x for r in results for x in r.tally.latencies)
    cpu = {group: sum(r.cpu[group] for r in results) for group in ("server", "postgres", "client", "other")}
    seconds = sum(r.seconds for r in results)
    cpu["busy"] = sum(r.cpu["busy"] * r.seconds for r in results) / seconds
    return Summary(
        requests=len(latencies),
        seconds=seconds,
        p50=percentile(latencies, 0.50),
        p90=percentile(latencies, 0.90),
        p99=percentile(latencies, 0.99),
        errors=sum(r.tally.errors for r in results),
        cpu=cpu,
        body_bytes=sum(r.tally.body_bytes for r in results),
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=40, help="care managers, each one concurrent client")
    parser.add_argument("--seconds", type=float, default=20, help="length of each measured phase")
    parser.add_argument("--rounds", type=int, default=3, help="bare + lookup pairs")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of each endpoint before measuring")
    parser.add_argument("--hit-share", type=float, default=0.8)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--connection",
        choices=["keep-alive", "close"],
        default="close",
        help="a new connection per request (default, as nginx's proxy_pass does), or one kept open per client",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--no-report", action="store_true", help="do not rewrite docs/benchmarks.md")
    return parser.parse_args()


def gunicorn_args(args: argparse.Namespace, port: int) -> list[str]:
    return [
        "shinchoku.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
    ]


def main() -> None:
    args = parse_args()
    measured = source_state()  # before the run: others may commit or edit meanwhile
    recreate_database(DATABASE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            seeded, results, checked, profiled, sent = measure(args, Path(tmp))
    finally:
        drop_database(DATABASE)
    report(
        args,
        measured=measured,
        seeded=seeded,
        results=results,
        checked=checked,
        profiled=profiled,
        sent_lookups=sent[0],
        sent_hits=sent[1],
    )


def measure(
    args: argparse.Namespace, var_dir: Path
) -> tuple[dict[str, Any], list[Result], dict[str, Any], dict[str, Any], tuple[int, int]]:
    """Everything that needs the scratch database; gunicorn stops on any exit."""
    env = {
        **django_env(pg_url(DATABASE), var_dir),
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "SHINCHOKU_DB_CONN_MAX_AGE": "60",  # persistent connections, as a production server keeps them
    }
    manage(["migrate", "--noinput", "-v0"], env)
    manage(["createcachetable"], env)
    seeded_path = var_dir / "seeded.json"
    print(f"seeding {args.cases:,} cases and {args.users} care managers …", flush=True)
    seeded = step(
        env,
        f"seed(out={str(seeded_path)!r}, cases={args.cases}, users={args.users}, seed_value={args.seed})",
        seeded_path,
    )
    print(f"  {seeded['cases']:,} cases ({seeded['linked']:,} linked) in {seeded['seconds']:.1f} s", flush=True)

    port = free_port()
    log = var_dir / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *gunicorn_args(args, port)],
            env=env,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(port, server, log)
        print(f"gunicorn up on 127.0.0.1:{port} ({' '.join(gunicorn_args(args, port)[3:])})", flush=True)
        results, sent = load(args, port, seeded, server.pid)
    finally:
        stop_server(server)
        errors = [
            line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line or "Traceback" in line
        ]
        if errors:
            print(f"gunicorn logged {len(errors)} error lines, first: {errors[0]}")

    verify_path = var_dir / "verify.json"
    checked = step(env, f"verify(out={str(verify_path)!r})", verify_path)
    profile_path = var_dir / "profile.json"
    profiled = step(env, f"profile(seeded={str(seeded_path)!r}, out={str(profile_path)!r})", profile_path)
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(profile_path.with_suffix(".pstats"), ROOT / "bench" / "out" / "lookup.pstats")
    return seeded, results, checked, profiled, sent


def load(
    args: argparse.Namespace, port: int, seeded: dict[str, Any], server_pid: int
) -> tuple[list[Result], tuple[int, int]]:
    """Signs every care manager in, then runs the warm-up and the alternating rounds.

    Returns the measured phases and (lookups sent, hits among them), warm-up included."""
    pacer = LoginPacer()
    started = time.perf_counter()
    people = [sign_in(port, who["email"], seeded["password"], who["secret"], pacer) for who in seeded["users"]]
    print(f"{len(people)} care managers signed in (password + TOTP) in {time.perf_counter() - started:.1f} s")

    hit_keys: list[tuple[str, str, str]] = [(k[0], k[1], k[2]) for k in seeded["hit_keys"]]
    applied_from = date.fromisoformat(seeded["applied_from"])
    keys = Keys(
        insurer=seeded["insurer"],
        hits=hit_keys,
        applied_from=applied_from,
        days=(date.fromisoformat(seeded["applied_to"]) - applied_from).days + 1,
        kinds=sorted({k[2] for k in hit_keys}),
        hit_share=args.hit_share,
        close=args.connection == "close",
    )
    processes: list[mp.process.BaseProcess] = []
    pipes: list[Connection] = []
    context = mp.get_context("fork")  # nothing but this thread runs in the parent yet
    count = max(1, min(args.client_processes, len(people)))
    sent_lookups = sent_hits = 0
    results: list[Result] = []
    plan = [("warm-up", -1, endpoint, args.warmup) for endpoint in ("bare", "lookup")]
    plan += [
        (f"round {r + 1}", r, endpoint, args.seconds) for r in range(args.rounds) for endpoint in ("bare", "lookup")
    ]
    try:
        for n in range(count):
            mine = [(i, who) for i, who in enumerate(people) if i % count == n]
            parent_end, child_end = context.Pipe()
            process = context.Process(target=client_main, args=(child_end, port, mine, keys, args.seed))
            process.start()
            processes.append(process)
            pipes.append(parent_end)
        for label, round_no, endpoint, seconds in plan:
            start = time.time() + 1.0
            result = run_phase(Phase(endpoint, round_no, start, start + seconds), pipes, server_pid)
            if endpoint == "lookup":
                sent_lookups += result.requests
                sent_hits += result.tally.hits
            if round_no >= 0:
                results.append(result)
            print(
                f"  {label:8} {endpoint:6} {result.requests:7,} requests {result.rate:8.1f}/s "
                f"p50 {percentile(sorted(result.tally.latencies), 0.5):6.1f} ms, errors {result.tally.errors}"
                f"; CPU ms/request: gunicorn {result.cpu['server'] / result.requests * 1000:.1f}, "
                f"PostgreSQL {result.cpu['postgres'] / result.requests * 1000:.1f}, "
                f"client {result.cpu['client'] / result.requests * 1000:.1f}; machine busy {result.cpu['busy']:.0%}, "
                f"other processes {result.cpu['other']:.1f} CPU-s",
                flush=True,
            )
            spread = sorted(result.tally.per_user)
            print(
                f"           requests per care manager: min {spread[0]}, median {spread[len(spread) // 2]}, "
                f"max {spread[-1]}; p50 of misses {percentile(sorted(result.tally.miss_latencies), 0.5):.1f} ms",
                flush=True,
            )
            for sample in result.tally.samples:
                print(f"    ! {sample}")
    finally:
        for pipe in pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for child in processes:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
                child.join(timeout=10)
    return results, (sent_lookups, sent_hits)


def source_state() -> str:
    """The commit measured, and whether the product's code had uncommitted changes."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "shinchoku"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"commit {head or '?'}" + (" plus uncommitted changes under shinchoku/" if dirty else "")


def statement(sql: str) -> str:
    """A statement in a few words: its verb and table."""
    flat = sql
    while True:  # drop subqueries (the case query's EXISTS names the approvals table first)
        shorter = re.sub(r"\([^()]*\)", "", flat)
        if shorter == flat:
            break
        flat = shorter
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', flat)
    if sql.startswith("SELECT") and table:
        return f"SELECT {table.group(1)}" + (" FOR UPDATE" if "FOR UPDATE" in sql else "")
    if sql.startswith(("INSERT", "UPDATE")) and table:
        return f"{sql.split(maxsplit=1)[0]} {table.group(1)}"
    return " ".join(sql.split()[:2]) if sql.startswith("RELEASE") else sql.split(maxsplit=1)[0]


# Parts of a lookup that the issue requires of every request, whatever the page looks like.
REQUIRED_PARTS = (
    "session load",
    "user load",
    "approving insurers (lookup_access)",
    "↳ miss limits: blocked?",
    "↳ audit row (audit_record_or_refuse)",
)


def _budget_paragraph(parts: dict[str, float], bare_ms: float) -> str:
    """What the target allows a lookup, against what the required parts took in this run."""
    required = sum(parts[name] for name in REQUIRED_PARTS)
    listed = ", ".join(f"{name.removeprefix('↳ ')} {parts[name]:.2f}" for name in REQUIRED_PARTS)
    return (
        f"**The budget the target sets.** At 50% of the bare view's throughput a lookup may cost twice a\n"
        f"bare request: {2 * bare_ms:.1f} ms in-process in this run, so {bare_ms:.1f} ms for everything the bare view\n"
        f"does not do. The parts every lookup must do by the issue's own terms ({listed} ms)\n"
        f"took {required:.1f} ms together, {required / bare_ms:.0%} of that allowance, before the form, the\n"
        f"case query, the decryption and the page ({parts['render the page']:.2f} ms to render)."
    )


def report(
    args: argparse.Namespace,
    *,
    measured: str,
    seeded: dict[str, Any],
    results: list[Result],
    checked: dict[str, Any],
    profiled: dict[str, Any],
    sent_lookups: int,
    sent_hits: int,
) -> None:
    bare = summarise([r for r in results if r.phase.endpoint == "bare"])
    lookup = summarise([r for r in results if r.phase.endpoint == "lookup"])
    ratio = lookup.rate / bare.rate
    cost_lookup, cost_bare = (s.per_request_ms("server") + s.per_request_ms("postgres") for s in (lookup, bare))
    audited = checked["audited"]
    audited_total = sum(audited.values())
    audit_ok = audited_total == sent_lookups and audited.get("success", 0) == sent_hits
    verdict = "meets" if ratio >= 0.5 else "misses"
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "lookup_cprofile.txt").write_text(profiled["cprofile"], encoding="utf-8")
    (out / "lookup_queries.json").write_text(
        json.dumps({k: v for k, v in profiled.items() if k != "cprofile"}, indent=2, ensure_ascii=False),
        encoding="utf-8",
    )

    print(f"bare   {bare.rate:8.1f} req/s  p50 {bare.p50:.1f}  p90 {bare.p90:.1f}  p99 {bare.p99:.1f} ms")
    print(f"lookup {lookup.rate:8.1f} req/s  p50 {lookup.p50:.1f}  p90 {lookup.p90:.1f}  p99 {lookup.p99:.1f} ms")
    print(f"ratio lookup/bare {ratio:.1%} (target >= 50%): {verdict}")
    print(f"audit rows {audited_total:,} for {sent_lookups:,} lookups sent ({audited}); {checked}")
    for name in ("lookup_hit", "lookup_miss", "bare_hit", "bare_miss"):
        print(f"{name}: {profiled[name]['count']} statements")
    if args.no_report:
        return

    def row(name: str, s: Summary) -> str:
        return (
            f"| {name} | {s.requests:,} | {s.rate:,.1f} | {s.p50:.1f} | {s.p90:.1f} | {s.p99:.1f} "
            f"| {s.body_bytes / s.requests:,.0f} | {s.errors} |"
        )

    def phase(endpoint: str, r: int) -> Result:
        return next(x for x in results if x.phase.round == r and x.phase.endpoint == endpoint)

    def other(endpoint: str, r: int) -> str:
        return f"{phase(endpoint, r).cpu['other'] / phase(endpoint, r).seconds:.2f}"

    rounds = "\n".join(
        f"| {r + 1} | {phase('bare', r).rate:,.1f} | {phase('lookup', r).rate:,.1f} "
        f"| {phase('lookup', r).rate / phase('bare', r).rate:.1%} | {other('bare', r)} / {other('lookup', r)} |"
        for r in range(args.rounds)
    )

    def cpu(s: Summary) -> str:
        return (
            f"{s.per_request_ms('server'):.1f} | {s.per_request_ms('postgres'):.1f} | "
            f"{s.per_request_ms('client'):.2f} | {s.cpu['busy']:.0%} | {s.cpu['other'] / s.seconds:.2f}"
        )

    q = {name: profiled[name] for name in ("lookup_hit", "lookup_miss", "bare_hit", "bare_miss")}
    timing = profiled["in_process_ms"]
    breakdown = "\n".join(f"| {label} | {ms:.2f} |" for label, ms in profiled["breakdown"])
    profiled_lookups = profiled["lookups"]
    sql_by_statement = ", ".join(
        f"{name} {ms:.2f}" for name, ms in sorted(profiled["sql_by_statement"].items(), key=lambda kv: -kv[1])
    )
    budget = _budget_paragraph(dict(profiled["breakdown"]), timing["bare"])
    connection = (
        "each request on a new connection, as nginx's `proxy_pass` (docs/operations.md §7, no\n"
        "upstream keep-alive) reaches gunicorn in production. (Kept-alive client connections stay with\n"
        "the gthread worker that accepted them: in a trial with `--connection keep-alive` one care\n"
        "manager got 20 times the answers of another; throughput about the same, percentiles meaningless.)"
        if args.connection == "close"
        else "each on its own keep-alive connection (`--connection keep-alive`). gthread keeps each\n"
        "connection with the worker that accepted it, so care managers are served unevenly."
    )
    spread = {
        name: sorted(n for r in results if r.phase.endpoint == name for n in r.tally.per_user)
        for name in ("lookup", "bare")
    }
    fairness = ", ".join(f"{name} {v[0]} / {v[len(v) // 2]} / {v[-1]}" for name, v in spread.items() if v)
    command = (
        f"uv run python bench/bench_lookup.py --cases {args.cases} --users {args.users} "
        f"--seconds {args.seconds:g} --rounds {args.rounds}"
        + (" --connection keep-alive" if args.connection != "close" else "")
    )
    body = f"""
## Lookup: the full care-manager lookup vs a bare view doing the same indexed query

Run `{command}` ({machine_line()}; {measured}).

| endpoint | requests | req/s | p50 ms | p90 ms | p99 ms | answer bytes | errors |
|---|---:|---:|---:|---:|---:|---:|---:|
{row("`POST /lookup/` (full lookup)", lookup)}
{row("`POST /bench/bare/` (baseline)", bare)}

**Throughput ratio lookup / bare: {ratio:.1%}** (target ≥ 50%). The run **{verdict}** the target.
Latencies are with {args.users} clients posting back to back, so they are mostly queueing. Answers per
care manager in a phase (min / median / max): {fairness}.

Bare and lookup phases alternate ({args.seconds:g} s each, after {args.warmup:g} s of warm-up per endpoint):

| round | bare req/s | lookup req/s | ratio | other processes' cores (bare / lookup) |
|---|---:|---:|---:|---:|
{rounds}

CPU per request, from /proc: the load generator, gunicorn and PostgreSQL share the machine's {os.cpu_count()}
cores, and so did whatever else ran meanwhile (last column: cores' worth of other processes, e.g.
other test runs, during the phases). Server-side CPU per request (gunicorn + PostgreSQL) is
{cost_lookup:.1f} ms for a lookup and {cost_bare:.1f} ms for the bare view: a ratio of
{cost_bare / cost_lookup:.1%}, which is where the throughput ratio lands when the cores are saturated.

| endpoint | gunicorn ms | PostgreSQL ms | load generator ms | machine busy | other processes (cores) |
|---|---:|---:|---:|---:|---:|
| lookup | {cpu(lookup)} |
| bare | {cpu(bare)} |

**Setup.** A scratch PostgreSQL database; insurer 431007 熊本市; one approved office;
{seeded["cases"]:,} cases of the insurer (synthetic: 180 days of applications with their milestones,
bulk-created with the importer's sealing, blind index + AES-GCM; {seeded["linked"]:,} name the office
as their office on file); {args.users} care managers, each its own account with TOTP. gunicorn
`{" ".join(gunicorn_args(args, 0)[3:])}` with `DJANGO_SETTINGS_MODULE=bench.lookup_site.settings`
(the product's settings and URLs plus the baseline route) and `SHINCHOKU_DB_CONN_MAX_AGE=60`,
so each gunicorn thread keeps its database connection. 4 processes × 2 threads for 2 cores: enough
processes to keep both cores busy while others wait on PostgreSQL, threads to overlap the lookup's
round trips, no more (the work is CPU-bound Python under one GIL per process). Short trials
(20,000 cases, one 10 s round) with the production unit's `--workers 3 --threads 4`
(docs/operations.md §6) gave a ratio of 15% and more gunicorn CPU per lookup; with 5 sync
workers, about the same ratio as here and a dearer bare request. The miss limits
are raised so that no user is stopped while the counter still runs on every lookup
(bench/lookup_site/settings.py says how); no cache or counter in Redis (`REDIS_URL` unset), so
the miss counter and the cache are the database ones.

**Load.** {args.users} concurrent clients, one per care manager, in {args.client_processes} processes, posting back to
back, {connection}

Each care manager first really signs in
(`/accounts/login/`, then `/accounts/2fa/authenticate/` with a fresh TOTP code) and keeps its session
and CSRF cookies. Keys: {args.hit_share:.0%} hits drawn from {len(seeded["hit_keys"]):,} real keys, the rest misses
(random numbers on real days and kinds); the bare phase of a round posts the same key sequence as
its lookup phase. Every answer is checked: status 200, and the result or "not found" as expected.

**What one request does.**
- Lookup: session loaded and its idle/absolute limits checked, user loaded, second factor verified
  (session flag), CSRF token checked, the approving insurers read, the form validated, the miss
  limits checked (on a miss also counted: four counter rows created if missing, locked, rewritten),
  the case found by its key, the identifier decrypted on hits, an audit row appended to a hash
  chain (head row locked), the page rendered with its timeline. {q["lookup_hit"]["count"]} statements on a hit,
  {q["lookup_miss"]["count"]} on a miss:
  - hit: {" → ".join(statement(x) for x in q["lookup_hit"]["queries"])}
  - miss: {" → ".join(statement(x) for x in q["lookup_miss"]["queries"])}
- Bare (`bench/bare/`, bench/lookup_site/views.py): the same middleware stack, but no session
  cookie, CSRF-exempt, no limit, no audit, no decryption: parse the fields, compute the blind
  index, run the case query of `case_by_key` (same filter on insurer number, index, date and
  kind, same join, same index; without its approval column), answer the stage in plain text. {q["bare_hit"]["count"]} statement.

**Where a lookup's time goes** (in-process after the run: Django's test client through the same
middleware, one care manager, no concurrency, {profiled_lookups} lookups at {args.hit_share:.0%} hits; wall clock
per lookup; ↳ marks a part of the row above it; a bare request takes {timing["bare"]:.1f} ms the same way):

| part | ms per lookup |
|---|---:|
{breakdown}

SQL cursor time per lookup by statement (ms; BEGIN and COMMIT are not cursor statements):
{sql_by_statement}.

{budget}

**Checks.** Audit rows `lookup:case:looked_up`: {audited_total:,} for {sent_lookups:,} lookups sent, warm-up included
({audited.get("success", 0):,} hits, {audited.get("failure", 0):,} misses): {"equal" if audit_ok else "NOT equal"}. Users stopped:
{checked["ever_blocked"]}; alerts raised: {checked["alerts"]}; longest stamp list in a counter row:
{checked["longest_stamp_list"]}.
"""
    write_section("lookup", body)
    print("written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
