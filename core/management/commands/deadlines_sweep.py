"""`python manage.py deadlines_sweep [--date YYYY-MM-DD] [--send-now]`: the daily deadline sweep
on demand (issue 4 §4). The reminders are sent by the Celery worker, or here with --send-now."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from core.deadlines import deadline_sweep, reminder_send
from core.exceptions import EmailDeferred
from core.management.arguments import iso_date


class Command(BaseCommand):
    help = _("检查全部未办结的期限：补算截止日期，发送到期前、到期当日提醒和逾期报告。")

    def add_arguments(self, parser):
        parser.add_argument("--date", type=iso_date, help=_("按该日期检查（默认今天，北京时间）"))
        parser.add_argument(
            "--send-now",
            action="store_true",
            help=_("在本进程内立即发送提醒，而不是交给 Celery 后台任务"),
        )

    def _send(self, reminder_id: int) -> bool:
        try:
            return reminder_send(reminder_id=reminder_id)
        except EmailDeferred as exc:
            # Any notification is there; the e-mail waits in the outbox for the next sweep.
            self.stderr.write(
                _("提醒 %(id)s 的邮件暂未发出：%(error)s") % {"id": reminder_id, "error": exc}
            )
            return False

    def handle(self, *args, **options):
        send_now = options["send_now"]
        result = deadline_sweep(today=options["date"], enqueue=not send_now)
        sent = sum(self._send(pk) for pk in result.to_send) if send_now else 0
        self.stdout.write(
            _(
                "%(today)s：未办结期限 %(open)s 项，补算截止日期 %(computed)s 项，新建提醒 %(created)s 条，新记逾期 %(missed)s 项。"
            )
            % {
                "today": result.today,
                "open": result.open,
                "computed": result.due_computed,
                "created": result.reminders_created,
                "missed": result.missed,
            }
        )
        if send_now:
            self.stdout.write(_("已发送提醒 %(n)s 条。") % {"n": sent})
        else:
            self.stdout.write(
                _("待发送提醒 %(n)s 条，已交给后台任务发送。") % {"n": len(result.to_send)}
            )
        if result.calendar_missing:
            years = "、".join(map(str, sorted(result.calendar_missing)))
            self.stderr.write(
                _("%(years)s 年的工作日历尚未录入或未标记为完整，相关期限暂无截止日期。")
                % {"years": years}
            )
