#!/usr/bin/env python
"""Load on the public results pages (docs/performance.md): 100,000 published results, gunicorn
with 4 workers (production settings), wrk on loopback with 32 connections.

Measures, each for --duration seconds: the results list (first pages and filtered searches),
a result's page (random ids), and as the reference a trivial Django view (/healthz) in the same
run. Prints requests/s, p50/p95/p99 latency, errors, and the ratio to the trivial view.
Targets (issue 5): p95 ≤ 200 ms, ≥ 200 requests/s, no errors.

    python bench/public_load.py [--results N] [--duration S] [--reuse] [--database-url URL]
                                [--port P] [--quick]

`--quick` runs the same steps at a tiny scale (300 results, 2 s per measurement after a 1-second
warm-up, gunicorn on a free port; about 30 s, a third of it the migrations), with the same
output; CI runs it (tests/test_bench.py) so the benchmark cannot rot. Its figures say nothing
about the targets. Where wrk is not installed, --quick says so and drives the load from Python
threads instead (as many as wrk's connections): slower than wrk, so its figures say even less,
but the pages, the server and the report are the same.

Works in a scratch PostgreSQL database that it DROPS and re-creates (default
`shuangsuiji_bench_public`; its name must contain `bench`). Needs wrk (Debian: apt install wrk),
except for --quick. The targets are only reported, but it exits non-zero when a check fails —
fewer published results than generated, or a page of a scenario that does not answer 200 before
the load — since its numbers would then mean nothing.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from _common import (
    DIVISION,
    REPO,
    copy_institutions,
    copy_rows,
    fresh_database,
    setup_django,
    timed,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shuangsuiji_bench_public"
RESULTS, INSTITUTIONS, TASKS = 100_000, 20_000, 5
PORT = 8765
CONNECTIONS, THREADS = 32, 2
TARGET_P95_MS, TARGET_RPS = 200, 200
SEED = 20261127
WARMUP_S = 3
# --quick: the same steps at a tiny scale.
QUICK = {"results": 300, "duration": 2, "warmup": 1}
SMOKE_PATHS = 10  # per scenario, requested one by one before the load: each must answer 200

# wrk: random paths from a list, and the percentiles wrk keeps (it prints only a few itself).
LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "RESULT {\"requests\": %%d, \"seconds\": %%f, \"errors\": %%d, \"p50\": %%f, \"p95\": %%f, \"p99\": %%f}\n",
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def generate(n_results: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from inspections.models import InspectionReport, InspectionTask
    from registry.models import CheckItem, Institution, Jurisdiction, Sector

    rng = random.Random(SEED)
    lawyer = Sector.objects.get(code=Sector.Code.LAWYER)
    home = Jurisdiction.objects.create(code=DIVISION, name="渝中区", level="county")
    User = get_user_model()
    staff = User.objects.create(username="bench-staff")
    items = [
        {
            "code": f"LS-{k:02d}",
            "name": f"律师事务所检查事项{k}",
            "content": "查阅执业档案、收费凭证和内部管理制度，核对登记事项。",
            "legal_basis": f"《中华人民共和国律师法》第{20 + k}条",
        }
        for k in range(1, 7)
    ]
    CheckItem.objects.bulk_create(
        CheckItem(
            sector=lawyer,
            code=i["code"],
            name=i["name"],
            content=i["content"],
            legal_basis=i["legal_basis"],
            organizing_body="重庆市渝中区司法局",
            default_ratio=5,
        )
        for i in items
    )
    n_institutions = min(INSTITUTIONS, n_results)
    copy_institutions(n_institutions, sector_id=lawyer.id, jurisdiction_id=home.id)
    institutions = list(Institution.objects.order_by("id").values_list("id", "credit_code", "name"))
    tasks, reports = [], []
    per_task = -(-n_results // n_institutions)
    for t in range(per_task):
        task = InspectionTask.objects.create(
            name=f"2026 年律师行业第 {t + 1} 批检查",
            kind=InspectionTask.Kind.SPECIAL,
            sector=lawyer,
            starts_on=dt.date(2026, 3, 1) + dt.timedelta(days=30 * t),
            ends_on=dt.date(2026, 3, 20) + dt.timedelta(days=30 * t),
            status=InspectionTask.Status.APPROVED,
        )
        task.jurisdictions.set([home])
        tasks.append(task)
        reports.append(
            # A draft while its results are copied in: an approved report's results are locked
            # (inspections migration 0011); approved below.
            InspectionReport.objects.create(
                task=task,
                inspected_from=task.starts_on,
                inspected_to=task.ends_on,
                content="",
                target_count=n_institutions,
                drafted_by=staff,
                drafted_at="2026-11-01T10:00+08:00",
            )
        )
    pairs = [(t, inst) for t in range(per_task) for inst in institutions][:n_results]
    with timed(f"COPY {len(pairs):,} inspections and results"):
        copy_rows(
            "inspections_inspection",
            ["task_id", "institution_id", "status", "created_at"],
            ((tasks[t].pk, inst[0], "submitted", "2026-11-01T10:00+08:00") for t, inst in pairs),
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM inspections_inspection ORDER BY id")
            inspection_ids = cursor.fetchall()
        categories = ["no_violation"] * 8 + ["case_filed", "transferred"]
        chosen = [rng.choice(categories) for _ in pairs]
        copy_rows(
            "inspections_targetresult",
            ["report_id", "inspection_id", "category", "case_number", "receiving_authority"]
            + ["evaluation", "handling"],
            (
                (reports[t].pk, inspection_ids[n][0], chosen[n])
                + (f"渝中司立〔2026〕{n}号" if chosen[n] == "case_filed" else "",)
                + ("渝中区市场监督管理局" if chosen[n] == "transferred" else "", "", "")
                for n, (t, _inst) in enumerate(pairs)
            ),
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM inspections_targetresult ORDER BY id")
            result_ids = [r[0] for r in cursor.fetchall()]
        InspectionReport.objects.filter(pk__in=[r.pk for r in reports]).update(
            status=InspectionReport.Status.APPROVED,
            team_approved_by=staff,
            team_approved_at="2026-11-01T10:00+08:00",
            approved_by=staff,
            approved_at="2026-11-01T10:00+08:00",
        )
    start = dt.datetime(2026, 4, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with timed(f"COPY {len(pairs):,} published result notices"):
        copy_rows(
            "publication_resultnotice",
            ["result_id", "version", "status", "target_name", "credit_code", "sector_id"]
            + ["jurisdiction_id", "year", "task_name", "items", "category", "case_number"]
            + ["receiving_authority", "findings", "inspected_from", "inspected_to", "authority"]
            + ["inspectors", "withheld", "published_at", "published_by_id", "late"]
            + ["correction_reason", "withdrawal_reason"],
            (
                (result_ids[n], 1, "published", inst[2], inst[1], lawyer.id, home.id, 2026)
                + (tasks[t].name, json.dumps(items, ensure_ascii=False), chosen[n])
                + (f"渝中司立〔2026〕{n}号" if chosen[n] == "case_filed" else "",)
                + ("渝中区市场监督管理局" if chosen[n] == "transferred" else "",)
                + ("收费标准未在执业场所公示。" if chosen[n] != "no_violation" else "",)
                + (tasks[t].starts_on, tasks[t].ends_on, "重庆市渝中区司法局")
                + (
                    json.dumps(
                        [
                            {"name": "张执法", "certificate": "500103000001"},
                            {"name": "李执法", "certificate": "500103000002"},
                        ],
                        ensure_ascii=False,
                    ),
                    "{}",
                )
                + (start + dt.timedelta(minutes=5 * n), staff.pk, False, "", "")
                for n, (t, inst) in enumerate(pairs)
            ),
        )
    # The steady state of a live database: autovacuum has set the visibility map (index-only
    # counts) and the statistics.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(database_url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-only-not-secret",
        "PII_KEYS": "YmVuY2gtb25seS1waWkta2V5LW5vdC1zZWNyZXQtISE=",  # a fixed, public key: bench data only
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "False",
        "SECURE_SSL_REDIRECT": "False",  # TLS ends at the proxy; the bench speaks to Django
        "CONN_MAX_AGE": "600",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
    )
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "--workers", "4"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def wrk(paths: list[str], duration: int, workdir: Path, name: str, port: int) -> dict:
    listing = workdir / f"{name}.paths"
    listing.write_text("\n".join(paths) + "\n")
    script = workdir / f"{name}.lua"
    script.write_text(LUA % {"paths": listing, "seed": SEED})
    out = subprocess.run(
        ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{duration}s"]
        + ["-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^RESULT (.*)$", out, re.M)
    result = json.loads(found.group(1))
    result["rps"] = result["requests"] / result["seconds"]
    return result


def python_load(paths: list[str], duration: int, workdir: Path, name: str, port: int) -> dict:
    """wrk's measurement from Python threads, for --quick where wrk is not installed: CONNECTIONS
    threads, each requesting random paths on its own connection until the time is up; errors as
    wrk counts them (a failed connection, a timeout of 2 s, a status of 400 or more)."""
    deadline = time.perf_counter() + duration
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(SEED + number)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", rng.choice(paths))
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()  # reconnects on the next request
                continue
            mine.append(time.perf_counter() - started)
            failed += response.status >= 400
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "seconds": seconds,
        "errors": errors[0],
        "p50": percentile(50),
        "p95": percentile(95),
        "p99": percentile(99),
        "rps": len(latencies) / seconds,
    }


def smoke(scenarios: dict[str, list[str]], port: int) -> list[str]:
    """Pages of each scenario requested one by one before the load: what does not answer 200."""
    failures = []
    for name, paths in scenarios.items():
        for path in list(dict.fromkeys(paths))[:SMOKE_PATHS]:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
                    status = r.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError as exc:
                status = str(exc)
            if status != 200:
                failures.append(f"{name}: {path} answered {status}")
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=int, default=None, help=f"default {RESULTS:,}")
    parser.add_argument(
        "--duration", type=int, default=None, help="seconds per measurement (default 20)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_PUBLIC_DATABASE_URL", DEFAULT_DATABASE_URL),
    )
    parser.add_argument(
        "--port", type=int, default=None, help=f"gunicorn's (default {PORT}; --quick: a free one)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny scale, same steps and output (CI runs it)"
    )
    args = parser.parse_args()
    full = {"results": RESULTS, "duration": 20, "warmup": WARMUP_S, "port": PORT}
    for name, value in ({**QUICK, "port": free_port()} if args.quick else full).items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    load, generator = wrk, f"wrk {THREADS} threads, {CONNECTIONS} connections"
    if not shutil.which("wrk"):
        if not args.quick:
            sys.exit("wrk is needed: apt-get install wrk")
        print(
            "wrk is not installed (apt-get install wrk): --quick drives the load from Python "
            "threads instead, slower than wrk",
            flush=True,
        )
        load, generator = python_load, f"Python load generator, {CONNECTIONS} connections"

    if args.reuse:
        setup_django(args.database_url)
    else:
        fresh_database(args.database_url)
        generate(args.results)

    from publication.models import ResultNotice

    ids = list(ResultNotice.objects.public().values_list("id", flat=True))
    if not args.reuse and len(ids) != args.results:
        sys.exit(f"check failed: {len(ids):,} published results, {args.results:,} generated")
    codes = list(ResultNotice.objects.public().values_list("credit_code", flat=True)[:2000])
    rng = random.Random(SEED)
    pages = max(1, len(ids) // 30)
    scenarios = {
        "trivial view (/healthz)": ["/healthz"],
        "results list": [f"/results/?page={rng.randint(1, min(pages, 50))}" for _ in range(500)]
        + ["/results/"] * 100
        + [f"/results/?result={c}" for c in ("case_filed", "transferred")] * 50
        + [f"/results/?q={c}" for c in rng.sample(codes, min(200, len(codes)))]
        + ["/results/?" + urllib.parse.urlencode({"q": "测试12", "year": 2026, "sector": "lawyer"})]
        * 50,
        "result detail": [f"/results/{i}/" for i in rng.sample(ids, min(2000, len(ids)))],
    }
    workdir = Path(tempfile.mkdtemp(prefix="bench-public-"))
    server = start_gunicorn(args.database_url, args.port)
    try:
        failures = smoke(scenarios, args.port)
        if failures:
            sys.exit("check failed: " + "\ncheck failed: ".join(failures))
        for paths in scenarios.values():  # warm up every worker
            load(paths, args.warmup, workdir, "warmup", args.port)
        measured = {
            name: load(paths, args.duration, workdir, "run", args.port)
            for name, paths in scenarios.items()
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"Public load — {len(ids):,} published results; gunicorn 4 workers; {generator}, "
        f"{args.duration} s each; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    trivial = measured["trivial view (/healthz)"]["rps"]
    print(
        f"{'scenario':<26}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'÷ trivial':>11}"
    )
    for name, r in measured.items():
        print(
            f"{name:<26}{r['rps']:>9.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
            f"{r['errors']:>8}{r['rps'] / trivial:>11.2f}"
        )
    for name in ("results list", "result detail"):
        r = measured[name]
        ok = r["p95"] <= TARGET_P95_MS and r["rps"] >= TARGET_RPS and r["errors"] == 0
        print(
            f"target {name}: p95 ≤ {TARGET_P95_MS} ms, ≥ {TARGET_RPS} req/s, no errors: "
            f"{r['p95']:.0f} ms, {r['rps']:.0f} req/s, {r['errors']} errors — "
            f"{'met' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
