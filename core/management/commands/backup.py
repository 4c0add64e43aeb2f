"""`python manage.py backup DIR`: a consistent backup of the database and the media files, with a
manifest of SHA-256 (issue 14 §6; core.backups says what the folder holds and why it is
consistent). DIR must be empty or absent; on error it is left empty again (exit 1)."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.backups import backup_write
from core.exceptions import ServiceError
from core.history import ActingCommand
from core.models import AuditEvent


class Command(ActingCommand):
    help = _("备份数据库和媒体文件到一个空文件夹，并写入带 SHA-256 的清单 manifest.json。")

    def add_arguments(self, parser):
        parser.add_argument("dir", type=Path, help=_("备份写入的空文件夹（不存在时新建）"))

    def handle(self, *args, dir: Path, **options):
        try:
            result = backup_write(target=dir)
        except ServiceError as exc:
            # Recorded in the database backed up: the audit trail says who backed up, when,
            # and what the backup's manifest hash is (issue 14 §3). Not in the dump itself.
            audit_record(
                AuditEvent.Action.BACKUP,
                outcome=AuditEvent.Outcome.FAILURE,
                detail={"code": exc.code},
            )
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        audit_record(
            AuditEvent.Action.BACKUP,
            detail={
                "manifest_sha256": result.manifest_sha256,
                "files": len(result.manifest["files"]),
            },
        )
        for relative in result.skipped:
            self.stderr.write(_("已跳过备份期间被删除的文件：%(file)s") % {"file": relative})
        files = result.manifest["files"]
        self.stdout.write(
            _("已备份：数据库（%(vendor)s）和 %(n)s 个媒体文件，共 %(size)s 字节 → %(path)s")
            % {
                "vendor": result.manifest["database"]["vendor"],
                "n": len(files) - 1,
                "size": sum(f["size"] for f in files),
                "path": dir.expanduser().absolute(),
            }
        )
        self.stdout.write(
            _("清单 manifest.json 的 SHA-256：%(sha)s") % {"sha": result.manifest_sha256}
        )
