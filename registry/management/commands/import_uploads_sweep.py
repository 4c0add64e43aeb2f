"""`python manage.py import_uploads_sweep [--max-age SECONDS]`: delete the files of the admin's
spreadsheet import that a check left behind (what beat does every 15 minutes, issue 12 §8)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from registry.imports.uploads import UPLOAD_DIR, uploads_sweep


class Command(BaseCommand):
    help = _("删除后台表格导入中检查后未确认、已超过保留时间的上传文件（含身份证号等个人信息）。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-age",
            type=int,
            help=_("删除早于该秒数的文件（默认 IMPORT_UPLOAD_MAX_AGE；0 表示全部删除）"),
        )

    def handle(self, *args, **options):
        deleted = uploads_sweep(max_age=options["max_age"])
        self.stdout.write(
            _("已删除 %(n)s 个上传文件（%(dir)s）。") % {"n": deleted, "dir": UPLOAD_DIR}
        )
