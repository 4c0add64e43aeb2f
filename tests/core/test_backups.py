"""`manage.py backup` and `manage.py restore` (issue 14 §6; GB/T 22239-2019 8.1.4.10 数据备份恢复):
the restore drill CI runs — the demo backed up, restored into a fresh database and media folder,
and every published draw, every filed archive and the locked rows' guards proven still there — and
the attacks on a backup: a changed byte, a missing or added file, a target that is not empty.

Each restore runs as the operator's does, in its own process on a fresh database
(tests/core/restore_settings.py gives it a fresh MEDIA_ROOT)."""

import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo-Pass-2026"

pytestmark = pytest.mark.postgres


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def _admin_conn():
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    )


@pytest.fixture
def fresh_db():
    """A new, empty PostgreSQL database (its name), dropped at the end."""
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    with _admin_conn() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _admin_conn() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(name: str) -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def in_restored(args: list[str], *, db: str, media: Path) -> subprocess.CompletedProcess:
    """`args` (after the interpreter) in a process on database `db` and MEDIA_ROOT `media`."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.core.restore_settings",
        "DATABASE_URL": _url(db),
        "RESTORE_MEDIA_ROOT": str(media),
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def restore(backup: Path, *more: str, db: str, media: Path) -> subprocess.CompletedProcess:
    return in_restored(["manage.py", "restore", str(backup), *more], db=db, media=media)


def tables(db: str) -> list[str]:
    rows = sql(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [r[0] for r in rows]


def sql(db: str, statement: str):
    with psycopg.connect(
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"],
        user=connection.settings_dict["USER"],
        dbname=db,
        autocommit=True,
    ) as conn:
        return conn.execute(statement).fetchall()


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------------------------
# The restore drill (CI runs it: `make restore-drill` runs only it)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restore_drill_the_demo_comes_back_whole(media, tmp_path, fresh_db):
    """Issue 14 §6 / GB/T 22239 8.1.4.10 a)–b): back up the demo, restore it into a fresh database
    and media folder; every published draw still verifies with tools/verify_draw.py against its
    public document served from the restored database, every filed archive still matches its
    filing's manifest, the media come back byte for byte, and the locked rows are still locked."""
    call_command("demo_data", password=PASSWORD, stdout=io.StringIO())
    backup = tmp_path / "backup"
    out = io.StringIO()
    call_command("backup", str(backup), stdout=out)
    assert "manifest.json" in out.getvalue()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BACKUP).count() == 1

    restored_media = tmp_path / "restored-media"
    done = restore(backup, db=fresh_db, media=restored_media)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核对通过：每个可公开验证的抽取仍能按公开文件复核" in done.stdout
    assert "核对通过：每个已备案任务的归档仍与备案清单一致" in done.stdout
    assert "核对通过：安全审计记录的哈希链完好" in done.stdout
    # The operator's own check of the trail on the restored database: the backup's entries, then
    # the restore's own (issue 14 §3).
    verified = in_restored(["manage.py", "audit_verify"], db=fresh_db, media=restored_media)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "哈希链完好" in verified.stdout
    actions = [a for (a,) in sql(fresh_db, "SELECT action FROM core_auditevent ORDER BY id")]
    assert actions[-1] == "restore" and "draw_executed" in actions

    # The media: every file, byte for byte.
    assert files_of(restored_media) == files_of(media)
    assert len(files_of(media)) > 10

    # A citizen's check: the public documents the restored site serves, and the verifier.
    documents = tmp_path / "documents"
    documents.mkdir()
    probe = in_restored(
        ["-m", "tests.core.restore_probe", str(documents)], db=fresh_db, media=restored_media
    )
    assert probe.returncode == 0, probe.stderr
    assert int(probe.stdout.split()[-1]) == 2  # the demo's two executed draws
    for document in sorted(documents.iterdir()):
        verified = subprocess.run(
            [sys.executable, "tools/verify_draw.py", str(document)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stdout
        assert "\nOK: " in verified.stdout

    # The guards came back with the rows (restored after the data, never disabled).
    with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
        sql(fresh_db, "UPDATE inspections_draw SET result = '{}' WHERE status = 'executed'")
    with pytest.raises(psycopg.errors.RaiseException, match="locked"):
        sql(fresh_db, "DELETE FROM inspections_filing")

    # The archive check is not a formality: one evidence file changed after the restore, and the
    # filed task's archive no longer matches its filing.
    # A file of a filed task's archive (the demo's second round is still in the field: its files
    # are in no archive yet, and their names are random, so "the first file" is not one).
    [(filed_file,)] = sql(
        fresh_db,
        "SELECT e.file FROM inspections_evidence e"
        " JOIN inspections_checkrecord r ON r.id = e.record_id"
        " JOIN inspections_inspection i ON i.id = r.inspection_id"
        " JOIN inspections_filing f ON f.task_id = i.task_id"
        " ORDER BY e.id LIMIT 1",
    )
    evidence = restored_media / filed_file
    evidence.write_bytes(evidence.read_bytes() + b"\0")
    checked = in_restored(
        ["manage.py", "restore", "--checks-only"], db=fresh_db, media=restored_media
    )
    assert checked.returncode == 1
    assert "核对未通过：每个已备案任务的归档仍与备案清单一致：任务" in checked.stdout
    assert "核对通过：每个可公开验证的抽取仍能按公开文件复核" in checked.stdout


# ---------------------------------------------------------------------------------------------
# A backup that was changed is not restored


@pytest.fixture
def small_backup(db, media, tmp_path):
    """A backup of the test database with two media files: one of every byte value, one with a
    Chinese name."""
    (media / "evidence" / "2026").mkdir(parents=True)
    (media / "evidence" / "2026" / "bytes.bin").write_bytes(bytes(range(256)) * 17)
    (media / "evidence" / "2026" / "现场照片.jpg").write_bytes(
        b"\xff\xd8\xff\xe0" + os.urandom(5000)
    )
    target = tmp_path / "backup"
    call_command("backup", str(target), stdout=io.StringIO())
    return target


def test_backup_lists_every_file_with_its_hash_and_the_migrations(small_backup):
    """The manifest names every file with SHA-256 and size, the migration state, the version, the
    time; its own checksum is in `sha256sum` format, checkable without the platform."""
    manifest = json.loads((small_backup / "manifest.json").read_text())
    paths = {f["path"] for f in manifest["files"]}
    assert paths == {
        "database.dump",
        "media/evidence/2026/bytes.bin",
        "media/evidence/2026/现场照片.jpg",
    }
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in manifest["files"])
    assert "0015_draw_redraw_request" in manifest["migrations"]["inspections"]
    assert manifest["app_version"] and manifest["created_at"]
    assert manifest["database"]["vendor"] == "postgresql"
    checked = subprocess.run(
        ["sha256sum", "-c", "manifest.json.sha256"], cwd=small_backup, capture_output=True
    )
    assert checked.returncode == 0


def test_backup_refuses_a_folder_that_is_not_empty(db, media, tmp_path):
    target = tmp_path / "used"
    target.mkdir()
    (target / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="不是空文件夹"):
        call_command("backup", str(target), stdout=io.StringIO())
    assert [p.name for p in target.iterdir()] == ["old.txt"]


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "file",
    ["database.dump", "media/evidence/2026/bytes.bin", "media/evidence/2026/现场照片.jpg"],
)
def test_one_changed_byte_is_refused_naming_the_file(small_backup, tmp_path, fresh_db, file):
    """GB/T 22239 8.1.4.8 (完整性): a backup with one byte changed is not restored; the refusal
    names the file, and neither the database nor the media folder is touched."""
    _flip_one_byte(small_backup / file)
    target_media = tmp_path / "target-media"
    done = restore(small_backup, db=fresh_db, media=target_media)
    assert done.returncode == 1
    assert f"文件 {file} 与清单不符" in done.stderr
    assert "什么都没有改变" in done.stderr
    assert tables(fresh_db) == []
    assert not target_media.exists()


def test_a_changed_manifest_is_refused(small_backup, tmp_path, fresh_db):
    """Changing the manifest to match a changed file is caught by the manifest's own checksum."""
    manifest = small_backup / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"size": 4352', '"size": 4353'))
    done = restore(small_backup, db=fresh_db, media=tmp_path / "m")
    assert done.returncode == 1
    assert "manifest.json 与它的校验值不符" in done.stderr
    assert tables(fresh_db) == []


def test_a_missing_or_an_added_file_is_refused(small_backup, tmp_path, fresh_db):
    (small_backup / "media" / "planted.html").write_text("<script>")
    done = restore(small_backup, "--verify-only", db=fresh_db, media=tmp_path / "m")
    assert done.returncode == 1
    assert "清单中没有的文件：media/planted.html" in done.stderr
    (small_backup / "media" / "planted.html").unlink()
    (small_backup / "media" / "evidence" / "2026" / "bytes.bin").unlink()
    done = restore(small_backup, db=fresh_db, media=tmp_path / "m")
    assert done.returncode == 1
    assert "缺少文件 media/evidence/2026/bytes.bin" in done.stderr
    assert tables(fresh_db) == []


def test_a_forged_manifest_cannot_reach_outside_the_backup(small_backup, tmp_path):
    """Whoever rewrites the manifest and its checksum still cannot make restore read a file outside
    the backup folder (a path with `..`, or an absolute one)."""
    outside = tmp_path / "secret.txt"
    outside.write_text("not part of the backup")
    for path in ["../secret.txt", str(outside)]:
        manifest = json.loads((small_backup / "manifest.json").read_text())
        manifest["files"].append({"path": path, "sha256": "0" * 64, "size": 22})
        data = json.dumps(manifest).encode()
        (small_backup / "manifest.json").write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        (small_backup / "manifest.json.sha256").write_text(f"{digest}  manifest.json\n")
        with pytest.raises(CommandError, match="清单中的路径无效"):
            call_command("restore", str(small_backup), verify_only=True, stdout=io.StringIO())


def test_verify_only_reports_a_sound_backup(small_backup):
    out = io.StringIO()
    call_command("restore", str(small_backup), verify_only=True, stdout=out)
    assert "3 个文件与清单一致" in out.getvalue()


# ---------------------------------------------------------------------------------------------
# Only into an empty database and an empty media folder


def test_a_database_that_is_not_empty_is_refused(small_backup, tmp_path):
    """Restoring over the live database (here: the test database, with every table) is refused
    and changes nothing: not a row, not a media file."""
    target_media = tmp_path / "m"
    done = restore(small_backup, db=connection.settings_dict["NAME"], media=target_media)
    assert done.returncode == 1
    assert "不是空的" in done.stderr and "createdb" in done.stderr
    assert not target_media.exists()


def test_a_media_folder_that_is_not_empty_is_refused(small_backup, tmp_path, fresh_db):
    target_media = tmp_path / "m"
    target_media.mkdir()
    (target_media / "someone-else.pdf").write_bytes(b"%PDF")
    done = restore(small_backup, db=fresh_db, media=target_media)
    assert done.returncode == 1
    assert "媒体文件夹" in done.stderr and "--allow-nonempty-media" in done.stderr
    assert tables(fresh_db) == []
    assert files_of(target_media) == {"someone-else.pdf": b"%PDF"}

    done = restore(small_backup, "--allow-nonempty-media", db=fresh_db, media=target_media)
    assert done.returncode == 0, done.stderr
    assert set(files_of(target_media)) == {
        "someone-else.pdf",
        "evidence/2026/bytes.bin",
        "evidence/2026/现场照片.jpg",
    }


def test_a_media_file_comes_back_byte_for_byte(small_backup, media, tmp_path, fresh_db):
    """The round trip: every media file restored is the file backed up, name and bytes."""
    target_media = tmp_path / "m"
    done = restore(small_backup, db=fresh_db, media=target_media)
    assert done.returncode == 0, done.stdout + done.stderr
    assert files_of(target_media) == files_of(media)
    assert "django_migrations" in tables(fresh_db)


def test_the_checks_run_alone_on_the_configured_database(db, media):
    """`restore --checks-only`: the same checks on the live (or just migrated) database."""
    out = io.StringIO()
    call_command("restore", checks_only=True, stdout=out)
    assert "核对通过：安全审计记录的哈希链完好" in out.getvalue()
    assert "核对通过：每个已备案任务的归档仍与备案清单一致" in out.getvalue()
    with pytest.raises(CommandError, match="checks-only"):
        call_command("restore", stdout=io.StringIO())
