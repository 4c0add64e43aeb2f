"""`python manage.py import_registry KIND FILE [--dry-run]`: load the bureau's spreadsheets.

Exit code 0 on success, 1 when anything is wrong (every bad row is printed; nothing is written).
"""

from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from core.history import ActingCommand
from registry.imports import KINDS, registry_import_file


class Command(ActingCommand):
    # The rows' history and the publication log name `--user`, or the system account (Y4(2)).
    help = _("从 .xlsx 或 UTF-8 .csv 表格导入名录；任一行有误则全部不写入。")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help=_("只检查，不写入"))

    def handle(self, *args, kind, file, dry_run, **options):
        try:
            result = registry_import_file(
                kind=kind, path=file, dry_run=dry_run, user=self.acting_user
            )
        except ServiceError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from exc
        if result.ignored_columns:
            self.stdout.write(
                _("已忽略无法识别的列：%(cols)s") % {"cols": "、".join(result.ignored_columns)}
            )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            if result.stopped_at_row:
                self.stderr.write(result.stopped_note())
            self.stderr.write(_("共 %(n)s 处错误，未写入任何数据。") % {"n": len(result.errors)})
            raise SystemExit(1)
        prefix = _("检查通过（--dry-run，未写入）：") if dry_run else _("导入完成：")
        self.stdout.write(prefix + result.summary())
