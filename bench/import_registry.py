#!/usr/bin/env python
"""Benchmark of the registry import at national scale (docs/performance.md).

Generates N institutions and 20·N practitioners with valid codes (SPEC §7) as CSV and xlsx, imports
them through `registry_import_file` — the code path of `manage.py import_registry` and the admin —
and prints rows/s, wall time and peak memory per import, plus the floor: PostgreSQL `COPY` of the
same rows into the same tables.

    python bench/import_registry.py [--institutions N] [--formats csv,xlsx] [--database-url URL]
                                    [--quick]

`--quick` runs the same steps at a tiny scale (20 institutions, 400 practitioners, both formats;
about 25 s, most of it the migrations and Django starting in each import's process), with the
same output; CI runs it (tests/test_bench.py) so the benchmark cannot rot. Its figures say
nothing about the targets.

Each import runs in a fresh subprocess (`--child KIND FILE`) so that its peak resident memory
(`ru_maxrss`) is its own. The script works in a scratch PostgreSQL database that it DROPS and
re-creates (default `shuangsuiji_bench`; `--database-url` or `BENCH_DATABASE_URL` override it). It
deliberately ignores DATABASE_URL, which points at the development database.

This prints numbers; it is not a test. It stops when an import fails or creates the wrong
number of rows, and exits non-zero after its report when the re-import of unchanged rows found a
change or wrote a row, or the COPY floor did not load every row, since its numbers would then mean
nothing.
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import DIVISION, REPO, process_cpu, recreate_database, setup_django
from _import_data import PRACTITIONERS_PER_INSTITUTION, generate

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shuangsuiji_bench"
DEFAULT_OUT = REPO / "bench" / "out"
NATIONAL_INSTITUTIONS = 40_000
QUICK_INSTITUTIONS = 20  # --quick: 420 rows
# The requirement's targets at national scale.
TARGET_ROWS_PER_S = {"csv": 5_000, "xlsx": 2_000}
TARGET_PEAK_MIB = 1024


# -- the scratch database -------------------------------------------------------------------------
def prepare_database() -> None:
    from django.core.management import call_command

    from registry.models import Jurisdiction

    # Every app, not only the registry: an import writes to the publication log (publication)
    # and records its changes under the system account (core.history, auth's whole schema).
    call_command("migrate", verbosity=0)
    Jurisdiction.objects.get_or_create(
        code=DIVISION, defaults={"name": "渝中区", "level": Jurisdiction.Level.COUNTY}
    )


def registry_tables() -> list[str]:
    from registry.models import Institution, Practitioner

    models = [Practitioner, Institution]
    return [m._meta.db_table for m in models] + [m.history.model._meta.db_table for m in models]


def truncate_registry() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # CASCADE: conflicts and supervision records point at these; in the scratch db they are empty.
        cursor.execute(f"TRUNCATE {', '.join(registry_tables())} RESTART IDENTITY CASCADE")
        cursor.execute(f"ANALYZE {', '.join(registry_tables())}")


def table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in registry_tables():
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


# -- one import in a fresh process ----------------------------------------------------------------
def child(kind: str, path: str) -> None:
    """Runs in the subprocess: one import, then a JSON line with the result on stdout."""
    setup_django(os.environ["DATABASE_URL"])
    from django.db import connection

    from registry.imports import registry_import_file

    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    db_before = process_cpu(backend)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = registry_import_file(kind=kind, path=path)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    db_after = process_cpu(backend)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        json.dumps(
            {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": [str(e) for e in result.errors[:5]],
                "error_count": len(result.errors),
                "seconds": seconds,
                "cpu": cpu,  # this process only; PostgreSQL works in its own
                "db_cpu": None if db_before is None else db_after - db_before,
                "baseline_mib": before.ru_maxrss / 1024,  # KiB on Linux
                "peak_mib": after.ru_maxrss / 1024,
            }
        )
    )


def run_child(database_url: str, kind: str, path: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"import of {path} failed:\n{done.stderr}")
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if outcome["error_count"]:
        sys.exit(f"import of {path} reported {outcome['error_count']} errors: {outcome['errors']}")
    outcome["wall"] = wall
    outcome["rows_per_s"] = outcome["rows"] / outcome["seconds"]
    return outcome


# -- the floor: COPY ------------------------------------------------------------------------------
def copy_floor(database_url: str, files: dict[tuple[str, str], Path]) -> dict[str, dict]:
    """COPY the rows of the CSV files into the same tables, in one transaction; per kind the
    seconds and the PostgreSQL backend's CPU seconds."""
    import psycopg

    from registry.models import Institution, Jurisdiction, Practitioner, Sector

    sector_id = Sector.objects.get(name="律师").id
    jurisdiction_id = Jurisdiction.objects.get(code=DIVISION).id
    truncate_registry()
    floor = {}
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        backend = conn.info.backend_pid
        mark = _mark(backend)
        columns = (
            "credit_code, name, sector_id, jurisdiction_id, licence_number, person_in_charge, "
            "address, status, founded_on, size, risk_tier, risk_reasons"
        )
        with (
            files["institutions", "csv"].open(encoding="utf-8-sig", newline="") as f,
            cur.copy(f"COPY {Institution._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            reader = csv.reader(f)
            next(reader)
            for code, name, _s, _j, licence, person, address, _st, founded, size in reader:
                copy.write_row(
                    (code, name, sector_id, jurisdiction_id, licence, person, address)
                    + ("practising", founded, size, "normal", "[]")
                )
        floor["institutions"] = _elapsed(mark, backend)

        mark = _mark(backend)
        cur.execute(f"SELECT credit_code, id FROM {Institution._meta.db_table}")
        institution_ids = dict(cur.fetchall())
        # Plain text, as the floor is PostgreSQL alone: the imports measured above encrypt the ID
        # numbers and phones (core.pii), the floor does not, and the bench database is scratch.
        columns = "certificate_number, name, institution_id, id_number, status, phone"
        with (
            files["practitioners", "csv"].open(encoding="utf-8-sig", newline="") as f,
            cur.copy(f"COPY {Practitioner._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            reader = csv.reader(f)
            next(reader)
            for cert, name, code, id_no, _st, phone in reader:
                copy.write_row((cert, name, institution_ids[code], id_no, "practising", phone))
        conn.commit()
        floor["practitioners"] = _elapsed(mark, backend)
    floor_counts = table_counts()
    for kind, model in (("institutions", Institution), ("practitioners", Practitioner)):
        floor[kind]["loaded"] = floor_counts[model._meta.db_table]
    return floor


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mark(backend: int) -> tuple[float, float, float | None]:
    return time.perf_counter(), _cpu(), process_cpu(backend)


def _elapsed(mark: tuple[float, float, float | None], backend: int) -> dict:
    started, cpu, db_cpu = mark
    db_now = process_cpu(backend)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu() - cpu,
        "db_cpu": None if db_cpu is None else db_now - db_cpu,
    }


# -- driver ---------------------------------------------------------------------------------------
def bench_format(database_url, fmt, files, n) -> dict[str, dict]:
    truncate_registry()
    results = {}
    for kind in ("institutions", "practitioners"):
        outcome = run_child(database_url, kind, files[kind, fmt])
        expected = n if kind == "institutions" else n * PRACTITIONERS_PER_INSTITUTION
        if outcome["created"] != expected:
            sys.exit(f"{fmt} {kind}: created {outcome['created']:,} rows, expected {expected:,}")
        results[kind] = outcome
        print(f"  {fmt} {kind}: {_line(outcome)}", flush=True)
    return results


def bench_reimport(database_url, files) -> dict[str, dict]:
    before = table_counts()
    results = {}
    for kind in ("institutions", "practitioners"):
        outcome = run_child(database_url, kind, files[kind, "csv"])
        results[kind] = outcome
        print(f"  csv re-import {kind}: {_line(outcome)}", flush=True)
    after = table_counts()
    results["writes"] = {t: after[t] - before[t] for t in after}
    return results


def _line(o: dict) -> str:
    return (
        f"{o['rows']:,} rows in {o['seconds']:.1f} s (cpu {o['cpu']:.1f} s) = "
        f"{o['rows_per_s']:,.0f} rows/s, peak {o['peak_mib']:.0f} MiB "
        f"(created {o['created']:,}, updated {o['updated']:,}, unchanged {o['unchanged']:,})"
    )


def _table_rows(n, results, reimport, floor) -> list[tuple]:
    """(label, rows, seconds, import cpu s, PostgreSQL cpu s, peak MiB, time ÷ COPY time)."""
    counts = {"institutions": n, "practitioners": n * PRACTITIONERS_PER_INSTITUTION}
    copy_total = sum(f["seconds"] for f in floor.values()) if floor else None
    runs = list(results.items()) + ([("csv re-import", reimport)] if reimport else [])
    lines = []
    for label, per_kind in runs:
        for kind in counts:
            o = per_kind[kind]
            ratio = o["seconds"] / floor[kind]["seconds"] if floor else None
            lines.append(
                (f"{label} {kind}", o["rows"], o["seconds"], o["cpu"], o["db_cpu"])
                + (o["peak_mib"], ratio)
            )
        runs_of = [per_kind[k] for k in counts]
        secs = sum(o["seconds"] for o in runs_of)
        cpu = sum(o["cpu"] for o in runs_of)
        db_cpu = (
            None if None in [o["db_cpu"] for o in runs_of] else sum(o["db_cpu"] for o in runs_of)
        )
        peak = max(o["peak_mib"] for o in runs_of)
        ratio = secs / copy_total if floor else None
        lines.append((f"{label} total", sum(counts.values()), secs, cpu, db_cpu, peak, ratio))
    if floor:
        for kind, f in floor.items():
            lines.append(
                (f"COPY {kind}", counts[kind], f["seconds"], f["cpu"], f["db_cpu"], None, 1.0)
            )
        cpu = sum(f["cpu"] for f in floor.values())
        db_cpus = [f["db_cpu"] for f in floor.values()]
        db_cpu = None if None in db_cpus else sum(db_cpus)
        lines.append(("COPY total", sum(counts.values()), copy_total, cpu, db_cpu, None, 1.0))
    return lines


def report(n, results, reimport, floor) -> None:
    def cell(value, spec, width):
        return f"{'' if value is None else format(value, spec):>{width}}"

    print()
    print(
        f"Registry import — {n:,} institutions, {n * PRACTITIONERS_PER_INSTITUTION:,} "
        f"practitioners; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'run':<30}{'rows':>10}{'seconds':>9}{'rows/s':>9}{'cpu s':>8}{'pg cpu s':>9}"
        f"{'rows/cpu-s':>11}{'peak MiB':>10}{'× COPY':>8}"
    )
    for label, count, secs, cpu, db_cpu, peak, ratio in _table_rows(n, results, reimport, floor):
        per_cpu = None if db_cpu is None or cpu + db_cpu <= 0 else count / (cpu + db_cpu)
        print(
            f"{label:<30}{count:>10,}{secs:>9.1f}{count / secs:>9,.0f}{cell(cpu, '.1f', 8)}"
            f"{cell(db_cpu, '.1f', 9)}{cell(per_cpu, ',.0f', 11)}{cell(peak, '.0f', 10)}"
            f"{cell(ratio, '.1f', 8)}"
        )
    print(
        "cpu s: the import process; pg cpu s: its PostgreSQL backend; rows/cpu-s: rows ÷ both, "
        "an upper bound for rows/s on an otherwise idle machine (disk waits not included)"
    )
    if reimport:
        written = {t: c for t, c in reimport["writes"].items() if c}
        print(f"re-import wrote rows: {written or 'none'}")
    print()
    total_rows = n * (1 + PRACTITIONERS_PER_INSTITUTION)
    for fmt, per_kind in results.items():
        secs = per_kind["institutions"]["seconds"] + per_kind["practitioners"]["seconds"]
        rate = total_rows / secs
        peak = max(per_kind[k]["peak_mib"] for k in ("institutions", "practitioners"))
        verdict = "met" if rate >= TARGET_ROWS_PER_S[fmt] and peak <= TARGET_PEAK_MIB else "MISSED"
        scale = "" if n >= NATIONAL_INSTITUTIONS else " (below national scale: indicative only)"
        print(
            f"target {fmt}: ≥ {TARGET_ROWS_PER_S[fmt]:,} rows/s and ≤ {TARGET_PEAK_MIB} MiB — "
            f"{rate:,.0f} rows/s, {peak:.0f} MiB: {verdict}{scale}"
        )


def failed_checks(n, reimport, floor) -> list[str]:
    """What makes the figures meaningless (the imports' own counts are checked as they run)."""
    counts = {"institutions": n, "practitioners": n * PRACTITIONERS_PER_INSTITUTION}
    failures = []
    if reimport:
        failures += [
            f"the re-import wrote {c:,} rows to {t}" for t, c in reimport["writes"].items() if c
        ]
        failures += [
            f"the re-import found {reimport[k]['unchanged']:,} of {counts[k]:,} {k} unchanged"
            for k in counts
            if reimport[k]["unchanged"] != counts[k]
        ]
    if floor:
        failures += [
            f"COPY loaded {floor[k]['loaded']:,} {k}, expected {counts[k]:,}"
            for k in counts
            if floor[k]["loaded"] != counts[k]
        ]
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--institutions", type=int, default=None, help=f"default {NATIONAL_INSTITUTIONS:,}"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny scale, same steps and output (CI runs it)"
    )
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="scratch database, dropped and re-created (its name must contain 'bench')",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the files go")
    parser.add_argument("--regenerate", action="store_true", help="rewrite existing files")
    parser.add_argument("--no-copy", action="store_true", help="skip the COPY floor")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(TARGET_ROWS_PER_S)
    if unknown:
        parser.error(f"unknown formats: {', '.join(sorted(unknown))}")
    n = args.institutions
    if n is None:
        n = QUICK_INSTITUTIONS if args.quick else NATIONAL_INSTITUTIONS
    print(f"database {args.database_url} (dropped and re-created)", flush=True)
    recreate_database(args.database_url)
    setup_django(args.database_url)
    prepare_database()
    print(f"generating {n:,} institutions and {n * PRACTITIONERS_PER_INSTITUTION:,} practitioners")
    files = generate(args.out, n, sorted(set(formats) | {"csv"}), args.regenerate)

    results, reimport = {}, None
    for fmt in formats:
        results[fmt] = bench_format(args.database_url, fmt, files, n)
        if fmt == "csv":
            reimport = bench_reimport(args.database_url, files)
    floor = None if args.no_copy else copy_floor(args.database_url, files)
    if floor:
        for kind, f in floor.items():
            print(f"  COPY {kind}: {f['seconds']:.1f} s", flush=True)
    report(n, results, reimport, floor)
    failures = failed_checks(n, reimport, floor)
    if failures:
        sys.exit("check failed: " + "\ncheck failed: ".join(failures))


if __name__ == "__main__":
    main()
