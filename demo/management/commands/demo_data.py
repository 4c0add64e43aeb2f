"""`python manage.py demo_data [--password PW]`: a realistic, idempotent demo of Yuzhong district.

Registry rows go through the same import pipeline as the bureau's spreadsheets (so running it twice
changes nothing); accounts get the given password, or a random one that is printed. The 2026 plan,
its tasks and draws go through the inspection services (plan_publish, task_*, draw_*), so the demo
shows one announced-and-executed draw in which a conflict of interest recused an inspector, and one
draw that is announced and waits for its sources. The story itself is told in demo/story/; this
command tells it in order.
"""

import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from demo.story import accounts, fieldwork, plans, publication, registries
from demo.story.replay import SEED
from inspections.services import BINDING_CODE_MINUTES


class Command(BaseCommand):
    help = _("载入渝中区演示数据（可重复执行）")

    def add_arguments(self, parser):
        parser.add_argument("--password", help=_("演示账号的密码；不指定则随机生成并打印"))

    def handle(self, *args, password=None, **options):
        with transaction.atomic():
            self.registries()
            password = accounts.accounts(password)
            authenticators = accounts.staff_authenticators()
            tablet_code = accounts.demo_tablet_code()
            staff, leader, legal = map(
                accounts.account, ("demo-staff", "demo-leader", "demo-legal")
            )
            plan = self.plan(staff=staff, leader=leader)
            self.fieldwork(plan, staff=staff, leader=leader, legal=legal)
        self.stdout.write(self.style.SUCCESS(_("演示数据已就绪。")))
        self.stdout.write(
            _("演示账号（密码：%(pw)s）：%(names)s")
            % {"pw": password, "names": "、".join(a[0] for a in accounts.ACCOUNTS)}
        )
        # Issue 14 §1: staff log in with a second factor; the demo's are fixed and public.
        self.stdout.write(
            _(
                "工作人员账号登录后台还需身份验证器的 6 位验证码：把下列密钥添加到手机上的"
                "身份验证器（基于时间），或随时运行 python manage.py demo_code 账号 查看当前验证码。"
            )
        )
        for username, secret in authenticators:
            self.stdout.write(f"  {username}: {secret}")
        if tablet_code:
            self.stdout.write(
                _(
                    "检查人员只能在已绑定的执法平板上登录：在平板（或本机浏览器）上打开 "
                    "/inspect/tablet/，输入绑定码 %(code)s（%(minutes)s 分钟内有效；过期后运行 "
                    "python manage.py demo_code --tablet 取得新的）。"
                )
                % {"code": tablet_code, "minutes": BINDING_CODE_MINUTES}
            )

    def registries(self) -> None:
        rng = random.Random(SEED)
        registries.jurisdictions()
        for kind, rows in registries.sheets(rng):
            self.stdout.write(f"{kind}: {registries.sheet_import(kind, rows)}")
        registries.histories(rng)

    def plan(self, *, staff, leader):
        plan = plans.plan()
        if not plan.is_published:
            plans.plan_publish_on_time(plan, staff=staff)
            self.stdout.write(f"plan: {plan}")
        for spec in plans.DEMO_DRAWS:
            draw = plans.draw(plan, spec, staff=staff, leader=leader)
            self.stdout.write(f"draw: {draw} ({draw.get_status_display()})")
        return plan

    def fieldwork(self, plan, *, staff, leader, legal) -> None:
        accounts.inspector_accounts()
        tasks = plans.lawyer_tasks(plan)
        first, second = tasks[1], tasks[2]
        fieldwork.visits(first)
        report = fieldwork.report(first, staff=staff, leader=leader)
        fieldwork.feedback(first, staff=staff)
        publication.notices(report, staff=staff)
        fieldwork.rectification(first, staff=staff)
        fieldwork.filing(first, staff=staff, legal=legal)
        fieldwork.round_in_progress(second)
        self.stdout.write(_("检查：第 1 批已办结并备案，第 2 批检查进行中。"))
