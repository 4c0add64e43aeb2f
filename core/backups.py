"""Backups that restore (issue 14 §6; GB/T 22239-2019 8.1.4.10 数据备份恢复): `manage.py backup DIR`
writes the database and the media files with a manifest; `manage.py restore DIR` verifies the
manifest, puts both back into an empty database and media folder, then runs the restore checks.

A backup folder holds:

- `database.dump` — PostgreSQL: `pg_dump -Fc`, one transaction, hence one snapshot of the whole
  database; SQLite (the quick start): `database.sqlite3`, a copy made with SQLite's backup API;
- `media/…` — every file of MEDIA_ROOT;
- `manifest.json` — format, time, app version, database vendor and server version, the applied
  migrations of every app, and every other file of the folder with its SHA-256 and size;
- `manifest.json.sha256` — the manifest's own SHA-256, in `sha256sum` format
  (`sha256sum -c manifest.json.sha256` checks it without the application).

Consistency of the media: the database is dumped first, then MEDIA_ROOT is listed, then the listed
files are copied. The media files of this platform are written once and never changed in place
(evidence, signatures, PDFs of locked documents, feed batches: a file is written before the row
naming it is committed, and a re-rendered PDF gets a new name), so every file the dump's snapshot
names was already there when the folder was listed. A file written during the backup is either in
it or not — no row of the dump names it.

What the restore checks is registered by the apps in their AppConfig.ready() (`restore_check`),
as core.health does: core knows none of them (floors). Each gives the problems it finds, [] when
all is well.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from core import audit
from core.exceptions import ServiceError

FORMAT = "shuangsuiji-backup/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
MEDIA = "media"
CHUNK = 1024 * 1024

# name → a callable giving the problems found in the restored data ([] when all is well)
_checks: dict[object, Callable[[], list[str]]] = {}


def restore_check(name, check: Callable[[], list[str]]) -> None:
    """Register a check `restore` runs on the restored data (from an AppConfig.ready()); `name`
    says what it proves, for the operator (translatable)."""
    _checks[name] = check


def restore_checks_run() -> dict[str, list[str]]:
    """Every registered check's problems, by name, in the order the apps registered them."""
    return {str(name): [str(p) for p in check()] for name, check in _checks.items()}


def audit_chain_problems() -> list[str]:
    """The audit trail's hash chain, recomputed (core.audit; issue 14 §3): its first break."""
    _count, brk = audit.audit_verify()
    if brk is None:
        return []
    return [
        _("第 %(position)s 条（编号 %(id)s）：%(reason)s")
        % {"position": brk.position, "id": brk.event.pk, "reason": brk.reason}
    ]


@dataclass
class BackupResult:
    manifest: dict
    manifest_sha256: str
    skipped: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# backup


def backup_write(*, target: Path) -> BackupResult:
    """Write a backup into `target`, a folder that must be empty or absent. On error the folder is
    left empty (or absent) again and ServiceError says why."""
    target = target.expanduser().absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ServiceError(
            _("%(path)s 不是空文件夹：备份只写入一个空的（或尚不存在的）文件夹。")
            % {"path": target},
            code="backup_target_not_empty",
        )
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        return _backup_into(target)
    except BaseException:
        _empty(target, remove=created)
        raise


def _backup_into(target: Path) -> BackupResult:
    # The database first, the media after: every file the snapshot names is already written.
    database = _database_dump(target)
    files = [_file_entry(target, target / database["file"])]
    skipped = []
    media_root = Path(settings.MEDIA_ROOT)
    for relative in _media_list(media_root):
        copy = target / MEDIA / relative
        try:
            files.append(_copy_hashed(media_root / relative, copy, target))
        except FileNotFoundError:
            skipped.append(relative)  # gone since it was listed: no row of the snapshot names it
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app_version": app_version(),
        "database": database,
        "migrations": migrations_applied(),
        "files": files,
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    (target / MANIFEST).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (target / MANIFEST_SUM).write_text(f"{digest}  {MANIFEST}\n")
    return BackupResult(manifest=manifest, manifest_sha256=digest, skipped=skipped)


def _database_dump(target: Path) -> dict:
    if connection.vendor == "postgresql":
        server = _pg_check_client("pg_dump")
        out = target / PG_DUMP_FILE
        # -Fc: the custom format pg_restore reads; pg_dump runs in one REPEATABLE READ transaction
        # (a single snapshot). Owners and grants are kept; restore leaves them out (--no-owner).
        _pg_run(["pg_dump", "-Fc", "--file", str(out)])
        return {"vendor": "postgresql", "server_version": server, "file": PG_DUMP_FILE}
    if connection.vendor == "sqlite":
        out = target / SQLITE_FILE
        connection.ensure_connection()
        with sqlite3.connect(out) as copy:
            connection.connection.backup(copy)  # SQLite's online backup API: one consistent copy
        copy.close()
        return {"vendor": "sqlite", "server_version": sqlite3.sqlite_version, "file": SQLITE_FILE}
    raise ServiceError(
        _("不支持备份 %(vendor)s 数据库：只支持 PostgreSQL 和 SQLite。")
        % {"vendor": connection.vendor},
        code="backup_vendor",
    )


def _media_list(root: Path) -> list[str]:
    """Every regular file under `root`, relative, sorted; symbolic links are not followed."""
    if not root.is_dir():
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def _copy_hashed(source: Path, copy: Path, base: Path) -> dict:
    """Copy `source` to `copy`, hashing the bytes as they are written: the manifest gives what the
    backup holds."""
    copy.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(copy, "wb") as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    shutil.copystat(source, copy)
    return {"path": copy.relative_to(base).as_posix(), "sha256": digest.hexdigest(), "size": size}


def _file_entry(base: Path, path: Path) -> dict:
    sha, size = file_sha256(path)
    return {"path": path.relative_to(base).as_posix(), "sha256": sha, "size": size}


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def app_version() -> str:
    import tomllib

    with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def migrations_applied() -> dict[str, list[str]]:
    """The applied migrations of every app, as django_migrations records them."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied: dict[str, list[str]] = {}
    for app, name in sorted(loader.applied_migrations):
        applied.setdefault(app, []).append(name)
    return applied


# ---------------------------------------------------------------------------------------------
# restore


def backup_verify(*, source: Path) -> dict:
    """The manifest of the backup in `source`, once its own checksum and every file it lists
    (SHA-256 and size) have been checked, and no other file is there. Else ServiceError naming the
    first file that differs."""
    source = source.expanduser().absolute()
    manifest_path, sum_path = source / MANIFEST, source / MANIFEST_SUM
    for path in (manifest_path, sum_path):
        if not path.is_file():
            raise _mismatch(_("缺少 %(file)s：这不是一份完整的备份。") % {"file": path.name})
    data = manifest_path.read_bytes()
    expected = sum_path.read_text().split()[0] if sum_path.read_text().split() else ""
    if hashlib.sha256(data).hexdigest() != expected:
        raise _mismatch(_("%(file)s 与它的校验值不符。") % {"file": MANIFEST})
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise _mismatch(_("%(file)s 不是有效的 JSON。") % {"file": MANIFEST}) from exc
    if manifest.get("format") != FORMAT:
        raise _mismatch(_("未知的备份格式：%(format)s。") % {"format": manifest.get("format")})
    listed = set()
    for entry in manifest["files"]:
        relative = entry["path"]
        path = (source / relative).resolve()
        if not path.is_relative_to(source.resolve()) or relative in (MANIFEST, MANIFEST_SUM):
            raise _mismatch(_("清单中的路径无效：%(file)s。") % {"file": relative})
        if not path.is_file():
            raise _mismatch(_("缺少文件 %(file)s。") % {"file": relative})
        if file_sha256(path) != (entry["sha256"], entry["size"]):
            raise _mismatch(_("文件 %(file)s 与清单不符（SHA-256 或大小）。") % {"file": relative})
        listed.add(relative)
    extra = sorted(set(_media_list(source)) - listed - {MANIFEST, MANIFEST_SUM})
    if extra:
        raise _mismatch(_("清单中没有的文件：%(file)s。") % {"file": extra[0]})
    return manifest


def _mismatch(message: str) -> ServiceError:
    return ServiceError(
        _("备份未通过校验，什么都没有改变：%(reason)s") % {"reason": message},
        code="backup_mismatch",
    )


@dataclass
class RestoreResult:
    manifest: dict
    manifest_sha256: str
    media_files: int
    migrations_missing: list[str]


def backup_restore(*, source: Path, allow_media: bool = False) -> RestoreResult:
    """Put the backup in `source` back into the configured database, which must hold none of our
    tables, and MEDIA_ROOT, which must be empty or absent (`allow_media`: files already there stay,
    and one the backup also holds must be byte for byte the same). The manifest is verified first;
    any refusal changes nothing. The checks are run by the caller (restore_checks_run)."""
    source = source.expanduser().absolute()
    manifest = backup_verify(source=source)
    _restore_refuse_unknown_migrations(manifest)
    _restore_refuse_database()
    media_root = Path(settings.MEDIA_ROOT)
    media = [e for e in manifest["files"] if e["path"].startswith(MEDIA + "/")]
    if not allow_media and media_root.exists() and any(media_root.iterdir()):
        raise ServiceError(
            _(
                "媒体文件夹 %(path)s 不是空的：恢复只写入空的媒体文件夹"
                "（确需合并时加 --allow-nonempty-media）。什么都没有改变。"
            )
            % {"path": media_root},
            code="restore_media_not_empty",
        )
    if allow_media:
        _restore_refuse_media_conflicts(source, media, media_root)
    # The media are copied into a hidden folder inside MEDIA_ROOT first (the same file system, also
    # when MEDIA_ROOT is a mounted volume), the database restored in one transaction, and only then
    # the files renamed into place: a failed restore leaves both as they were.
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=media_root, prefix=".restore-"))
    try:
        for entry in media:
            _copy_hashed(source / entry["path"], staging / entry["path"][len(MEDIA) + 1 :], staging)
        _database_load(source, manifest)
        _media_move(staging, media_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        manifest=manifest,
        manifest_sha256=hashlib.sha256((source / MANIFEST).read_bytes()).hexdigest(),
        media_files=len(media),
        migrations_missing=_migrations_missing(),
    )


def _restore_refuse_unknown_migrations(manifest: dict) -> None:
    """A backup from a newer version of the platform is not restored into an older one."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise ServiceError(
            _(
                "备份来自更新的版本（%(version)s），本程序不认识它的迁移 %(migration)s："
                "请先升级程序再恢复。什么都没有改变。"
            )
            % {"version": manifest.get("app_version"), "migration": unknown[0]},
            code="restore_newer_backup",
        )


def our_tables() -> list[str]:
    """The tables of the platform (every installed app's models, and django_migrations) already in
    the configured database."""
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    ours = set(connection.introspection.django_table_names()) | {"django_migrations"}
    return sorted(present & ours)


def _restore_refuse_database() -> None:
    tables = our_tables()
    if tables:
        raise ServiceError(
            _(
                "目标数据库 %(db)s 不是空的（已有 %(n)s 张本平台的表，如 %(table)s）：恢复只写入"
                "新建的空数据库（createdb）。什么都没有改变。"
            )
            % {"db": connection.settings_dict["NAME"], "n": len(tables), "table": tables[0]},
            code="restore_database_not_empty",
        )


def _restore_refuse_media_conflicts(source: Path, media: list[dict], root: Path) -> None:
    for entry in media:
        existing = root / entry["path"][len(MEDIA) + 1 :]
        if existing.exists() and file_sha256(existing) != (entry["sha256"], entry["size"]):
            raise ServiceError(
                _("媒体文件夹中已有不同的 %(file)s：不覆盖。什么都没有改变。")
                % {"file": existing.relative_to(root).as_posix()},
                code="restore_media_conflict",
            )


def _database_load(source: Path, manifest: dict) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise ServiceError(
            _("备份的数据库是 %(backup)s，配置的数据库是 %(here)s：不能恢复。")
            % {"backup": vendor, "here": connection.vendor},
            code="restore_vendor",
        )
    dump = source / manifest["database"]["file"]
    if vendor == "postgresql":
        _pg_check_client("pg_restore")
        connection.close()
        # A full restore loads each table's rows (COPY) before it creates the triggers, indexes
        # and foreign keys (pg_dump's post-data section): the guards of locked rows (inspections
        # 0011/0014, publication 0004) are restored as they were and never see the load, so no
        # trigger is disabled and no superuser is needed. One transaction: all or nothing.
        _pg_run(
            ["pg_restore", "--single-transaction", "--exit-on-error"]
            + ["--no-owner", "--no-privileges", "--dbname", connection.settings_dict["NAME"]]
            + [str(dump)]
        )
        return
    connection.close()
    with sqlite3.connect(dump) as backup, sqlite3.connect(connection.settings_dict["NAME"]) as db:
        backup.backup(db)
    backup.close()
    db.close()


def _media_move(staging: Path, root: Path) -> None:
    for path in _walk_files(staging):
        relative = path.relative_to(staging)
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, root / relative)


def _walk_files(root: Path) -> Iterator[Path]:
    for relative in _media_list(root):
        yield root / relative


def _migrations_missing() -> list[str]:
    """Migrations of this code the restored database has not applied (an older backup): the
    operator runs `manage.py migrate`."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    return sorted(
        f"{a}.{n}" for a, n in loader.disk_migrations if (a, n) not in loader.applied_migrations
    )


# ---------------------------------------------------------------------------------------------
# PostgreSQL client programs


def _pg_env() -> dict[str, str]:
    """The connection of the configured database for pg_dump/pg_restore, by environment variable:
    the password never appears on a command line."""
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if db.get("OPTIONS", {}).get(option):
            env[f"PG{option.upper()}"] = str(db["OPTIONS"][option])
    return env


def _pg_check_client(program: str) -> str:
    """The server's version, once `program` is found and its major version is at least the
    server's (an older pg_dump refuses a newer server; docs/deployment.md)."""
    if shutil.which(program) is None:
        raise ServiceError(
            _("找不到 %(program)s：请安装与数据库服务器同一主版本的 postgresql-client。")
            % {"program": program},
            code="pg_client_missing",
        )
    connection.ensure_connection()
    server_num = connection.pg_version  # e.g. 150020
    out = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    client_major = int(out.stdout.split()[-1].split(".")[0])
    server_major = server_num // 10000
    if client_major < server_major:
        raise ServiceError(
            _(
                "%(program)s 的主版本 %(client)s 低于数据库服务器的 %(server)s：请安装 "
                "postgresql-client-%(server)s。"
            )
            % {"program": program, "client": client_major, "server": server_major},
            code="pg_client_old",
        )
    return f"{server_major}.{server_num % 10000}"


def _pg_run(args: list[str]) -> None:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise ServiceError(
            _("%(program)s 失败（退出码 %(code)s）：%(error)s")
            % {"program": args[0], "code": done.returncode, "error": done.stderr.strip()[-2000:]},
            code="pg_client_failed",
        )


def _empty(folder: Path, *, remove: bool) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if remove:
        folder.rmdir()
