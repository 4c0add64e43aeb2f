"""`python manage.py verify_draw ID`: recompute a draw from the database, as a citizen would with
tools/verify_draw.py and the published /draws/<id>.json.

Prints OK (exit 0) or every MISMATCH (exit 1) exactly as tools/verify_draw.py does — each line in
Chinese, then in English — so staff and citizens read the same words; a draw not yet executed
exits 1 and an unknown id exits 2. Besides recomputing the public document, it checks that the
selection and team rows the public page is built from agree with the stored result.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from inspections import selectors
from inspections.services.draws import draw_verify
from tools import verify_draw as algorithm


class Command(BaseCommand):
    help = _("按公开文件重新计算一次随机抽取并与公布的结果核对：一致输出 OK，否则输出 MISMATCH。")

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int, help=_("抽取编号（/draws/<编号>/）"))

    def handle(self, *args, draw_id: int, **options):
        draw = selectors.draw_full_get(draw_id=draw_id)
        if draw is None:
            raise CommandError(_("抽取 %(id)s 不存在。") % {"id": draw_id}, returncode=2)
        if not draw.is_executed:
            raise CommandError(
                _("抽取 %(id)s 已公告但尚未执行，没有可以核对的结果。") % {"id": draw_id},
                returncode=1,
            )
        problems = draw_verify(draw)
        if not problems:
            mismatch = selectors.draw_rows_mismatch(draw=draw)
            problems = [mismatch] if mismatch else []
        # The verifier's own bilingual lines (not the catalogue's): the same as a citizen's.
        for problem in problems:
            for line in algorithm.mismatch_lines(problem):
                self.stdout.write(line)
        if problems:
            raise SystemExit(1)
        for line in algorithm.OK_LINES:
            self.stdout.write(line)
