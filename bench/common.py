"""Shared plumbing for the benchmarks: scratch PostgreSQL databases, subprocesses, the report.

Benchmarks are programs, not tests: each one measures two things side by side in one run on
this machine and rewrites its own section of docs/benchmarks.md between marker comments.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
REPORT = ROOT / "docs" / "benchmarks.md"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Measured:
    seconds: float
    max_rss_mib: float
    stdout: str


def run_measured(args: list[str], env: dict[str, str]) -> Measured:
    """Runs a command in a child process; wall time and that child's peak resident memory."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "elapsed = time.perf_counter() - t\n"
        "sys.stderr.write(p.stderr)\n"
        "print(p.stdout, end='')\n"
        "print(f'\\n@@ {elapsed} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')\n"
        "sys.exit(p.returncode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True, cwd=ROOT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    match = re.search(r"@@ ([0-9.]+) ([0-9]+)\s*$", result.stdout)
    if match is None:
        raise RuntimeError(result.stdout)
    return Measured(float(match.group(1)), int(match.group(2)) / 1024, result.stdout[: match.start()].strip())


def django_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SHINCHOKU_"))}
    env.update({"DATABASE_URL": database_url, "SHINCHOKU_VAR_DIR": str(var_dir), "SHINCHOKU_LOG_LEVEL": "WARNING"})
    return env


def manage(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, cwd=ROOT, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def machine_line() -> str:
    cores = os.cpu_count()
    with psycopg.connect(PG_ADMIN_URL) as conn:
        server = conn.execute("SHOW server_version").fetchone()
    return (
        f"{time.strftime('%Y-%m-%d')}, {platform.python_implementation()} {platform.python_version()}, "
        f"{cores} cores, PostgreSQL {server[0] if server else '?'}"
    )


def write_section(name: str, body: str) -> None:
    """Replaces the text between ``<!-- bench:name -->`` and ``<!-- /bench:name -->``."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    REPORT.write_text(text, encoding="utf-8")


def peak_rss_now_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
