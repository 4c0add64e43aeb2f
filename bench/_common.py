"""What the benchmarks of bench/ share (docs/performance.md): Django on a scratch PostgreSQL
database that is dropped and re-created, steps timed (and functions timed at every call, their
originals put back after), a process's CPU seconds from /proc, rows COPYed through Django's own
connection, and the credit codes of the registry's law firms.

Imported by the benchmark scripts, which run as `python bench/NAME.py` (bench/ is on sys.path)."""

import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DIVISION = "500103"  # 渝中区


# -- Django ---------------------------------------------------------------------------------------
def setup_django(database_url: str, **environ: str) -> None:
    """Django with the local settings on `database_url`, the variables of `environ` set first."""
    sys.path.insert(0, str(REPO))
    os.environ["DATABASE_URL"] = database_url
    os.environ.update(environ)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    # Measure as in production: with DEBUG on, Django keeps the SQL of the last 9,000 queries,
    # which for bulk inserts of 2,000 rows is hundreds of MiB (+310 MiB at national scale).
    os.environ.setdefault("DJANGO_DEBUG", "False")
    import django

    django.setup()


def recreate_database(database_url: str) -> None:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(database_url)
    name = params.get("dbname", "")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    maintenance = make_conninfo(**{**params, "dbname": "postgres"})
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_database(database_url: str, *, media: Path | None = None, **environ: str) -> None:
    """The scratch database dropped, re-created and migrated, Django set up on it (`environ` as
    for setup_django); a scratch `media` folder emptied too, and made MEDIA_ROOT."""
    print(f"database {database_url} (dropped and re-created)", flush=True)
    recreate_database(database_url)
    if media is not None:
        shutil.rmtree(media, ignore_errors=True)
        media.mkdir(parents=True)
        environ["MEDIA_ROOT"] = str(media)
    setup_django(database_url, **environ)
    from django.core.management import call_command

    with timed("migrate"):
        call_command("migrate", verbosity=0)


def copy_rows(table: str, columns: list[str], rows) -> None:
    """COPY rows into a table through Django's own (autocommit) connection."""
    from django.db import connection

    connection.ensure_connection()
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


# -- timing ---------------------------------------------------------------------------------------
@contextmanager
def timed(label: str, sink: dict | None = None):
    """The seconds of the block added to sink[label], or printed when there is no sink."""
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    if sink is not None:
        sink[label] = sink.get(label, 0.0) + seconds
    else:
        print(f"  {label}: {seconds:.1f} s", flush=True)


def timing(label: str, function, sink: dict):
    """`function`, each call's seconds added to sink[label] (behaviour unchanged)."""

    def wrapper(*args, **kwargs):
        with timed(label, sink):
            return function(*args, **kwargs)

    return wrapper


@contextmanager
def patched(*replacements: tuple[object, str, object]):
    """Each (owner, name, value): owner.name is value inside the block, its original after."""
    originals = [(owner, name, getattr(owner, name)) for owner, name, _value in replacements]
    for owner, name, value in replacements:
        setattr(owner, name, value)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def timed_calls(sink: dict, *targets: tuple[object, str, str]):
    """`patched`, each (owner, name, label) timed into sink[label] at every call."""
    return patched(
        *(
            (owner, name, timing(label, getattr(owner, name), sink))
            for owner, name, label in targets
        )
    )


def process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat); None when it is not a
    process of this machine (a PostgreSQL server elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# -- data -----------------------------------------------------------------------------------------
def credit_code(serial: int) -> str:
    """The unified social credit code of law firm number `serial` in DIVISION."""
    from registry.validators import credit_code_check_char

    body = f"31{DIVISION}{serial:09d}"  # 31: law firm (SPEC §7)
    return body + credit_code_check_char(body)


def copy_institutions(n: int, *, sector_id: int, jurisdiction_id: int) -> None:
    """COPY law firms 1 … n of DIVISION, practising, of normal risk until the tiers are refreshed."""
    from registry.models import Institution

    with timed(f"COPY {n:,} institutions"):
        copy_rows(
            Institution._meta.db_table,
            ["credit_code", "name", "sector_id", "jurisdiction_id", "licence_number"]
            + ["person_in_charge", "address", "status", "founded_on", "size"]
            + ["risk_tier", "risk_reasons"],
            (
                (credit_code(i), f"重庆测试{i}律师事务所", sector_id, jurisdiction_id)
                + (f"31500{i:010d}", f"负责人{i}", f"重庆市渝中区测试路{i}号", "practising")
                + ("2000-01-01", 20, "normal", "[]")
                for i in range(1, n + 1)
            ),
        )
