"""`python manage.py workdays add 2026-09-25 20` → 2026-10-29, and calendar maintenance."""

from pathlib import Path

from django.utils.translation import gettext as _

from core import services
from core.exceptions import ServiceError
from core.history import ActingCommand
from core.management.arguments import iso_date
from core.models import CalendarYear


class Command(ActingCommand):
    help = _("工作日历：计算工作日期限、导入节假日安排、标记年份完整。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help=_("打印 D 之后第 N 个工作日"))
        add.add_argument("date")
        add.add_argument("days", type=int)
        between = sub.add_parser(
            "between", help=_("两个日期之间的工作日数（不含起始日，含结束日）")
        )
        between.add_argument("start")
        between.add_argument("end")
        imp = sub.add_parser("import", help=_("导入 date,kind,name 格式的 CSV"))
        imp.add_argument("file")
        imp.add_argument(
            "--complete", action="store_true", help=_("同时将文件涉及的年份标记为完整")
        )
        imp.add_argument("--dry-run", action="store_true")
        seed = sub.add_parser("seed", help=_("从 chinese-calendar 导入已知年份"))
        seed.add_argument("years", nargs="*", type=int)
        complete = sub.add_parser("complete", help=_("将某年标记为完整"))
        complete.add_argument("year", type=int)
        sub.add_parser("status", help=_("列出各年份的状态"))

    def handle(self, *args, **options):
        try:
            getattr(self, "do_" + options["action"])(options)
        except ServiceError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(exc.exit_code) from exc

    def do_add(self, options):
        day = services.workdays_add(start=iso_date(options["date"]), days=options["days"])
        self.stdout.write(day.isoformat())

    def do_between(self, options):
        count = services.workdays_between(
            start=iso_date(options["start"]), end=iso_date(options["end"])
        )
        self.stdout.write(str(count))

    def do_import(self, options):
        path = Path(options["file"])
        if not path.is_file():
            raise ServiceError(_("找不到文件：%(path)s") % {"path": path})
        services.calendar_size_check(path.stat().st_size)
        result = services.calendar_import_csv(
            content=path.read_bytes(),
            complete_years=options["complete"],
            dry_run=options["dry_run"],
        )
        years = ", ".join(str(y) for y in result["years"])
        verb = _("检查通过（未写入）") if options["dry_run"] else _("已导入")
        self.stdout.write(
            _("%(verb)s %(rows)s 行，涉及年份：%(years)s")
            % {"verb": verb, "rows": result["rows"], "years": years}
        )

    def do_seed(self, options):
        years = services.calendar_seed(years=options["years"] or None)
        if not years:
            self.stdout.write(_("没有导入任何年份：工作人员录入的年份不会被覆盖。"))
            return
        self.stdout.write(_("已导入年份：%(years)s") % {"years": ", ".join(map(str, years))})

    def do_complete(self, options):
        services.calendar_year_mark_complete(year=options["year"])
        self.stdout.write(_("%(year)s 年已标记为完整。") % {"year": options["year"]})

    def do_status(self, options):
        for year in CalendarYear.objects.order_by("year"):
            state = _("完整") if year.complete else _("不完整")
            self.stdout.write(f"{year.year}\t{state}\t{year.get_source_display()}")
