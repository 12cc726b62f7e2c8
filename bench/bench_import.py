"""Import benchmark (DESIGN §8): a CP932 file with 和暦 dates through `manage.py import_cases`
into PostgreSQL, against PostgreSQL `COPY` of the same rows already normalised, in one run.

    uv run python bench/bench_import.py            # 1,000,000 rows (as the target states)
    BENCH_ROWS=100000 uv run python bench/bench_import.py

Targets: the importer takes at most 3x the time of COPY, and peaks under 300 MB.
Steps: generate the file (cached under bench/out/); create a scratch database and migrate;
import (measured: wall time and the process's peak RSS); import the same file again
(idempotent re-run, measured); export the stored rows exactly as they are in `cases_case`;
truncate; COPY them back (measured). The scratch database is dropped at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench.common import (
    OUT,
    django_env,
    drop_database,
    machine_line,
    manage,
    pg_url,
    recreate_database,
    run_measured,
    write_section,
)
from shinchoku.lib.synthetic import generate_cases, write_csv

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
INSURER = "431007"
AS_OF = dt.date(2026, 11, 20)
SEED = 20261120
DATABASE = f"shinchoku_bench_import_{os.getpid()}"
CASE_COLUMNS = (
    "insurer_id, insured_index, insured_number_enc, applied_on, application_kind, survey_requested_on, "
    "survey_scheduled_on, survey_done_on, opinion_requested_on, opinion_received_on, primary_judged_on, "
    "committee_scheduled_on, committee_held_on, certified_on, result_sent_on, closure, closed_on, "
    "extension_notified_on, extension_reason, extension_expected_on, office_number, care_level, content_digest, "
    "source, last_import_id, created_at, updated_at"
)


def generate(path: Path) -> float:
    if path.exists():
        return 0.0
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out:
        write_csv(
            generate_cases(insurer_number=INSURER, count=ROWS, as_of=AS_OF, seed=SEED, span_days=180),
            out,
            vendor="vendor_a",
            encoding="cp932",
            date_style="wareki",
        )
    tmp.rename(path)
    return time.perf_counter() - started


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path = OUT / f"cases_{ROWS}_cp932_wareki.csv"
    generated = generate(csv_path)
    size_mib = csv_path.stat().st_size / 2**20
    print(
        f"file: {csv_path.name} ({size_mib:.0f} MiB, generated in {generated:.1f} s)"
        if generated
        else f"file: {csv_path.name} ({size_mib:.0f} MiB, cached)"
    )

    recreate_database(DATABASE)
    url = pg_url(DATABASE)
    with tempfile.TemporaryDirectory() as var_dir:
        env = django_env(url, Path(var_dir))
        try:
            manage(["migrate", "--noinput", "-v0"], env)
            manage(
                [
                    "shell",
                    "-c",
                    f"from shinchoku.insurers.services import insurer_create; insurer_create(actor=None, number='{INSURER}', name='熊本市')",
                ],
                env,
            )
            first = run_measured(
                [sys.executable, "manage.py", "import_cases", "--insurer", INSURER, str(csv_path)], env
            )
            print(f"import: {first.seconds:.1f} s, peak {first.max_rss_mib:.0f} MiB — {first.stdout}")
            again = run_measured(
                [sys.executable, "manage.py", "import_cases", "--insurer", INSURER, str(csv_path)], env
            )
            print(f"re-import (unchanged): {again.seconds:.1f} s, peak {again.max_rss_mib:.0f} MiB — {again.stdout}")

            normalised = Path(var_dir) / "normalised.copy"
            with psycopg.connect(url) as conn, normalised.open("wb") as out:
                with conn.cursor().copy(f"COPY cases_case ({CASE_COLUMNS}) TO STDOUT") as copy:
                    for block in copy:
                        out.write(block)
                count = conn.execute("SELECT count(*) FROM cases_case").fetchone()
                conn.execute("TRUNCATE cases_case")
                conn.commit()
            psql = [
                "psql",
                url,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                f"\\copy cases_case ({CASE_COLUMNS}) FROM '{normalised}'",
            ]
            baseline = run_measured(psql, env)
            rows = count[0] if count else 0
            print(f"COPY of the same {rows} normalised rows: {baseline.seconds:.1f} s")
        finally:
            drop_database(DATABASE)

    ratio = first.seconds / baseline.seconds
    verdict = "meets" if ratio <= 3 and first.max_rss_mib < 300 else "misses"
    body = f"""
## Import: CP932 和暦 file vs PostgreSQL COPY

Run `uv run python bench/bench_import.py` ({machine_line()}).

| what | rows | seconds | rows/s | peak memory |
|---|---:|---:|---:|---:|
| `manage.py import_cases` (CP932, 和暦, vendor_a headers; validate, encrypt, index, stage, merge) | {rows:,} | {first.seconds:.1f} | {rows / first.seconds:,.0f} | {first.max_rss_mib:.0f} MiB |
| same file again (idempotent: every row unchanged) | {rows:,} | {again.seconds:.1f} | {rows / again.seconds:,.0f} | {again.max_rss_mib:.0f} MiB |
| `COPY cases_case FROM` the same rows already normalised (psql `\\copy`) | {rows:,} | {baseline.seconds:.1f} | {rows / baseline.seconds:,.0f} | — |

**Ratio importer / COPY: {ratio:.2f}×** (target ≤ 3×); importer peak memory {first.max_rss_mib:.0f} MiB
(target < 300 MB). The run {verdict} the targets. File: {size_mib:.0f} MiB, {rows:,} rows.
"""
    write_section("import", body)
    print(f"ratio {ratio:.2f}x — written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
