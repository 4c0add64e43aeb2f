"""`python manage.py audit_archive --before YYYY-MM-DD --out DIR`: archive, then prune, the audit
entries older than a date (issue 14 §3; 网络安全法 第二十一条: kept at least six months).

The entries are written to DIR as JSON lines (one canonical entry per line, with its hash), then
removed from the database in one transaction that appends an entry naming the file, its SHA-256
and the last archived hash — where the remaining chain now starts, so `audit_verify` still holds.
Without --before: everything older than the retention period."""

import datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.exceptions import ServiceError
from core.history import ActingCommand
from core.management.arguments import iso_date


class Command(ActingCommand):
    help = _("归档并清理超过保存期限（至少六个月）的安全审计记录，哈希链保持可核验。")

    def add_arguments(self, parser):
        parser.add_argument("--before", type=iso_date, help=_("归档此日期（不含）之前的记录"))
        parser.add_argument("--out", type=Path, required=True, help=_("归档文件写入的目录"))

    def handle(self, *args, **options):
        if options["before"]:
            before = timezone.make_aware(
                datetime.datetime.combine(options["before"], datetime.time.min)
            )
        else:
            before = timezone.now() - datetime.timedelta(days=audit.RETENTION_DAYS)
        try:
            checkpoint = audit.audit_archive(before=before, out_dir=options["out"])
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            self.stdout.write(_("没有需要归档的记录。"))
            return
        detail = checkpoint.detail
        self.stdout.write(
            _("已归档 %(count)s 条记录到 %(path)s（SHA-256 %(sha)s），并从数据库清理。")
            % {
                "count": detail["count"],
                "path": options["out"] / detail["file"],
                "sha": detail["sha256"],
            }
        )
