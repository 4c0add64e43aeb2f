"""Every benchmark of bench/ runs in CI with --quick, so none can rot (docs/performance.md): the
same steps at a tiny scale, in a subprocess, each in its own scratch database. A bench exits
non-zero when one of its checks fails (a draw the verifier does not confirm, an import that wrote
the wrong rows, a stored PDF without its hash, a page that does not answer); here it must exit 0
and print its figures beside its floor as a full run does. The figures themselves are not
asserted: at this scale and on a shared machine they mean nothing.

About 2 minutes together on a busy 2-CPU machine, most of it migrating the scratch databases:
marked slow, so `pytest -m "not slow"` leaves them out locally; CI runs them."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 300  # each takes 5–45 s; a bench stuck for minutes is a failure, not a wait


@pytest.fixture
def scratch_database(request):
    """A database URL for one bench, dropped afterwards. Its name contains "bench" (the benches
    refuse to drop any other) and is derived from the test run's database, the xdist worker and
    the pid, so it collides neither with the test database nor with another run."""
    url = urlsplit(os.environ["DATABASE_URL"])
    bench = request.node.name.removeprefix("test_").removesuffix("_quick")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    suffix = f"_bench_{bench}_{worker}{os.getpid()}"
    name = (url.path.lstrip("/")[: 63 - len(suffix)] + suffix).lower()
    yield urlunsplit(url._replace(path=f"/{name}"))
    with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{script} --quick exited {done.returncode}:\n{output[-6000:]}"
    return done.stdout


def has_line(output: str, pattern: str) -> bool:
    return re.search(pattern, output, re.MULTILINE) is not None


@pytest.mark.postgres
def test_draw_quick(scratch_database, tmp_path):
    out = run_bench("draw.py", "--database-url", scratch_database, "--out", str(tmp_path))
    assert has_line(out, r"^step\s+seconds\s+× floor"), out
    assert has_line(out, r"^end-to-end\s+[\d.]+\s+[\d.]+\s"), out
    assert has_line(out, r"^floor\s+[\d.]+\s+1\.0\s"), out
    assert "verifier says OK" in out, out
    assert has_line(out, r"^target draw end-to-end ÷ floor ≤ 2×: [\d.]+ — "), out


@pytest.mark.postgres
def test_import_registry_quick(scratch_database, tmp_path):
    out = run_bench(
        "import_registry.py", "--database-url", scratch_database, "--out", str(tmp_path)
    )
    assert has_line(out, r"^run\s+rows\s+seconds.*× COPY$"), out
    for run in ("csv total", "xlsx total", "csv re-import total"):
        assert has_line(out, rf"^{run}\s+420\s.*\s[\d.]+$"), out
    assert has_line(out, r"^COPY total\s+420\s.*\s1\.0$"), out
    assert "re-import wrote rows: none" in out, out


@pytest.mark.postgres
def test_pdf_quick(scratch_database, tmp_path):
    # No floor: the PDF's targets are absolute (≤ 2 s a record, ≤ 5 min for 200, ≤ 500 MB).
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs Redis for its Celery worker: set REDIS_URL (CI does)")
    out = run_bench(
        "pdf.py",
        "--database-url",
        scratch_database,
        "--redis-url",
        redis_url,
        "--media",
        str(tmp_path / "media"),
    )
    assert has_line(out, r"^one record, in process: cold [\d.]+ s; median of 2 "), out
    assert "stored files matching their hash: 3 of 3" in out, out
    assert has_line(out, r"^target one record, median ≤ 2 s: [\d.]+ s — "), out
    assert has_line(out, r"^target 3 records via worker \(concurrency 1\) ≤ 5 min: "), out


@pytest.mark.postgres
def test_public_load_quick(scratch_database):
    out = run_bench("public_load.py", "--database-url", scratch_database)
    assert has_line(out, r"^scenario\s+req/s\s+p50 ms.*÷ trivial$"), out
    assert has_line(out, r"^trivial view \(/healthz\)\s.*\s1\.00$"), out
    for scenario in ("results list", "result detail"):
        # Errors are a target here, like the rates: a timeout on a busy machine is not a bug.
        # The bench itself fails when a page does not answer 200 before the load.
        assert has_line(out, rf"^{scenario}\s+\d+(\s+[\d.]+){{3}}\s+\d+\s+[\d.]+$"), out
        assert has_line(out, rf"^target {scenario}: p95 ≤ 200 ms"), out


def test_report_pdf_quick():
    # No database: the report is made up in memory. No floor either (an absolute time limit).
    out = run_bench("report_pdf.py")
    assert has_line(out, r"^\s+20 targets:\s+[\d.]+ s, CPU\s+[\d.]+ s, [\d,]+ KiB$"), out
