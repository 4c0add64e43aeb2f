"""`python manage.py restore DIR`: verify a backup (manifest.json, every file's SHA-256 and size),
put it back into the configured database — which must hold none of the platform's tables — and
MEDIA_ROOT — which must be empty unless --allow-nonempty-media — then run the restore checks the
apps register (core.backups.restore_check): every executed draw verifies, every filed archive
matches its filing's manifest, … Exit 0 when all passes; 1 when a check finds a problem or the
restore is refused (a refusal changes nothing and names the reason, the file or the table).

`--verify-only` checks the backup folder and stops (e.g. an offsite copy, docs/deployment.md);
`--checks-only` runs the checks on the configured database and media (after `migrate`, say).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.backups import backup_restore, backup_verify, restore_checks_run
from core.exceptions import ServiceError
from core.models import AuditEvent


class Command(BaseCommand):
    help = _("校验备份并恢复到空数据库和空媒体文件夹，然后运行恢复后的核对。")
    requires_system_checks = []  # the target database is empty: nothing to check before

    def add_arguments(self, parser):
        parser.add_argument("dir", type=Path, nargs="?", help=_("backup 写入的备份文件夹"))
        parser.add_argument(
            "--checks-only", action="store_true", help=_("只对当前数据库运行恢复后的核对")
        )
        parser.add_argument(
            "--verify-only", action="store_true", help=_("只校验备份文件夹，不恢复")
        )
        parser.add_argument(
            "--allow-nonempty-media",
            action="store_true",
            help=_("媒体文件夹不是空的也恢复（已有的相同文件保留，不同的文件拒绝覆盖）"),
        )

    def handle(self, *args, dir, verify_only, allow_nonempty_media, checks_only, **options):
        if checks_only:
            if self._checks_fail():
                raise SystemExit(1)
            return
        if dir is None:
            raise CommandError(_("用法：restore 备份文件夹，或 restore --checks-only"))
        try:
            if verify_only:
                manifest = backup_verify(source=dir)
                self.stdout.write(
                    _("备份完整：%(n)s 个文件与清单一致（%(time)s，版本 %(version)s）。")
                    % {
                        "n": len(manifest["files"]),
                        "time": manifest["created_at"],
                        "version": manifest["app_version"],
                    }
                )
                return
            result = backup_restore(source=dir, allow_media=allow_nonempty_media)
        except ServiceError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from exc
        self.stdout.write(
            _("已恢复：数据库和 %(n)s 个媒体文件（备份时间 %(time)s）。")
            % {"n": result.media_files, "time": result.manifest["created_at"]}
        )
        if result.migrations_missing:
            self.stdout.write(
                _(
                    "备份来自较旧的版本：请运行 manage.py migrate（%(n)s 个迁移未应用），再运行 manage.py restore --checks-only。"
                )
                % {"n": len(result.migrations_missing)}
            )
            raise SystemExit(1)
        failed = self._checks_fail()
        # The restore is the first entry the restored chain gets after the backup's (issue 14 §3);
        # a refused restore changed nothing, not even the trail (the target may have no table).
        audit_record(
            AuditEvent.Action.RESTORE,
            outcome=AuditEvent.Outcome.FAILURE if failed else AuditEvent.Outcome.SUCCESS,
            detail={
                "backup_created_at": result.manifest["created_at"],
                "manifest_sha256": result.manifest_sha256,
                "checks_failed": failed,
            },
        )
        if failed:
            raise SystemExit(1)

    def _checks_fail(self) -> bool:
        """Run the registered checks, print each; True when one found a problem."""
        failed = False
        for name, problems in restore_checks_run().items():
            if not problems:
                self.stdout.write(_("核对通过：%(name)s") % {"name": name})
                continue
            failed = True
            for problem in problems:
                self.stdout.write(
                    _("核对未通过：%(name)s：%(problem)s") % {"name": name, "problem": problem}
                )
        return failed
