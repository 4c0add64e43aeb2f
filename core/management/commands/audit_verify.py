"""`python manage.py audit_verify`: recompute the audit trail's hash chain (issue 14 §3).

Exit 0 and "OK" when every entry's hash and link hold; exit 1 naming the first broken entry
otherwise. `--archive FILE` checks archived entries (audit_archive's files) as well, and that the
newest of them joins the chain that remains in the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit


class Command(BaseCommand):
    help = _("重新计算安全审计记录的哈希链，指出第一处断开。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--archive",
            nargs="*",
            default=[],
            type=Path,
            help=_("同时核验这些归档文件（audit_archive 生成）"),
        )

    def handle(self, *args, **options):
        # Archives in chain order: each starts where the one before it ends, the first at the
        # genesis, and the last ends where the database's chain starts.
        expected = audit.GENESIS
        for path in options["archive"]:
            if not path.is_file():
                raise CommandError(_("找不到归档文件：%(path)s") % {"path": path})
            check = audit.archive_verify(path)
            if check.error:
                raise CommandError(
                    _("归档文件 %(path)s：%(error)s") % {"path": path, "error": check.error}
                )
            if check.first_prev != expected:
                raise CommandError(
                    _("归档文件 %(path)s 与前一段不衔接（请按时间顺序列出全部归档文件）。")
                    % {"path": path}
                )
            expected = check.last_hash
            self.stdout.write(
                _("归档 %(path)s：%(count)s 条，完好。") % {"path": path, "count": check.count}
            )
        if options["archive"] and audit.chain_start() != expected:
            raise CommandError(_("最后一个归档文件与数据库中的审计链不衔接。"))
        count, brk = audit.audit_verify()
        if brk is not None:
            event = brk.event
            raise CommandError(
                _("审计链断开：第 %(position)s 条（编号 %(id)s，%(at)s，%(action)s）：%(reason)s")
                % {
                    "position": brk.position,
                    "id": event.pk,
                    "at": timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                    "action": event.action,
                    "reason": brk.reason,
                }
            )
        self.stdout.write(_("OK：%(count)s 条审计记录，哈希链完好。") % {"count": count})
