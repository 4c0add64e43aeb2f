"""`python manage.py export_archive TASK_ID OUT.zip`: the complete archive of a task (Y3.5, N10(6)) —
check records, report and feedback letters (PDF, rendered now if missing), draw documents (JSON),
evidence, and manifest.json with the SHA-256 and size of every file.

`python manage.py export_archive --list` lists the tasks: id, status, name (tab-separated).

The ZIP is written beside OUT under a temporary name and renamed into place only when complete:
an unknown task (exit 2), an unwritable path or a failed export (exit 1) leave nothing behind.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import ServiceError
from core.history import ActingCommand
from core.models import AuditEvent
from inspections.models import InspectionTask
from inspections.services.archive import archive_build


class Command(ActingCommand):
    help = _(
        "导出检查任务的完整归档（ZIP）：检查记录、抽查报告、反馈函、抽取文件、证据材料及清单。"
    )

    def add_arguments(self, parser):
        parser.add_argument("task_id", nargs="?", type=int, help=_("检查任务编号"))
        parser.add_argument("out", nargs="?", type=Path, help=_("输出的 ZIP 文件路径"))
        parser.add_argument(
            "--list", action="store_true", help=_("列出检查任务（编号、状态、名称）")
        )

    def handle(self, *args, **options):
        if options["list"]:
            return self._list()
        task_id, out = options["task_id"], options["out"]
        if task_id is None or out is None:
            raise CommandError(
                _("用法：export_archive 任务编号 输出文件.zip，或 export_archive --list")
            )
        task = InspectionTask.objects.filter(pk=task_id).first()
        if task is None:
            raise CommandError(
                _("检查任务 %(id)s 不存在。用 --list 查看全部任务。") % {"id": task_id},
                returncode=2,
            )
        out = out.expanduser().absolute()
        if out.is_dir():
            raise CommandError(_("%(path)s 是一个目录，请给出 ZIP 文件的路径。") % {"path": out})
        try:
            fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        except OSError as exc:
            raise CommandError(
                _("无法写入 %(path)s：%(reason)s") % {"path": out, "reason": exc.strerror or exc}
            ) from exc
        partial = Path(name)
        try:
            with open(fd, "wb") as handle:
                result = archive_build(task=task, file=handle)
            os.chmod(partial, 0o666 & ~_umask())
            os.replace(partial, out)
        except (ServiceError, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(_("导出失败，未写入任何文件：%(reason)s") % {"reason": exc}) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        audit_record(
            AuditEvent.Action.ARCHIVE_EXPORTED,
            target=task,
            detail={
                "manifest_sha256": result.manifest_sha256,
                "bytes": result.bytes_written,
                "out": str(out),
            },
        )
        for label in result.rendered:
            self.stdout.write(_("已补生成 PDF：%(label)s") % {"label": label})
        self.stdout.write(
            _("已导出“%(task)s”的归档：%(n)s 个文件，%(size)s 字节 → %(path)s")
            % {
                "task": task,
                "n": len(result.manifest["files"]) + 1,
                "size": result.bytes_written,
                "path": out,
            }
        )
        self.stdout.write(
            _("清单 manifest.json 的 SHA-256：%(sha)s") % {"sha": result.manifest_sha256}
        )

    def _list(self) -> None:
        tasks = InspectionTask.objects.select_related("report", "filing").order_by("pk")
        self.stdout.write("\t".join([_("编号"), _("状态"), _("名称")]))
        for task in tasks:
            self.stdout.write(f"{task.pk}\t{_status(task)}\t{task.name}")


def _status(task: InspectionTask) -> str:
    """The approval status, then how far the task has come: report, filing (N10)."""
    parts = [task.get_status_display()]
    report = getattr(task, "report", None)
    if report is not None:
        parts.append(_("报告：%(status)s") % {"status": report.get_status_display()})
    if getattr(task, "filing", None) is not None:
        parts.append(_("已备案"))
    return " · ".join(parts)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
