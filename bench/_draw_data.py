"""The data of bench/draw.py (docs/performance.md): the registry COPYed into the scratch database
(at national scale 40,000 law firms whose supervision records give the three risk tiers, 10,000
inspectors of whom 400 in the neighbouring district, 200,000 conflicts), a 2026 plan published
over it, tasks approved for its second round, and the sources and dates the draw is replayed at."""

import datetime as dt
import random
from unittest import mock

from _common import DIVISION, copy_institutions, copy_rows, timed

NEIGHBOUR = "500105"  # 江北区, beside DIVISION (渝中区)
NEIGHBOUR_INSPECTORS = 400  # of the 10,000: borrowed only when needed (N11)
RATIO = 5  # % in every tier: about 2,000 targets
TEAM_SIZE = 2
SEED = 20261012
ROUND = (dt.date(2026, 10, 12), dt.date(2026, 12, 18))
SOURCES = [
    {"kind": "ssq", "name": "中国福利彩票双色球第2026115期", "date": "2026-10-08"},
    {"kind": "dlt", "name": "超级大乐透第26115期", "date": "2026-10-07"},
    {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-10-09"},
]
VALUES = [[3, 9, 14, 21, 27, 30, 11], [2, 8, 17, 25, 33, 4, 10], [391245]]
# The draw is replayed at its own dates, whatever day the benchmark runs: announced before the
# sources, executed once they are all out.
ANNOUNCED_AT = dt.datetime(2026, 10, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
EXECUTED_AT = dt.datetime(2026, 10, 9, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def generate(n_institutions: int, n_inspectors: int, n_conflicts: int) -> dict:
    from django.db import connection

    from registry.models import (
        CheckItem,
        Conflict,
        Inspector,
        Institution,
        Jurisdiction,
        Sector,
        SupervisionRecord,
    )
    from registry.services import institution_risk_refresh

    rng = random.Random(SEED)
    lawyer = Sector.objects.get(code=Sector.Code.LAWYER)
    city = Jurisdiction.objects.create(code="500000", name="重庆市", level="province")
    home = Jurisdiction.objects.create(code=DIVISION, name="渝中区", level="county", parent=city)
    neighbour = Jurisdiction.objects.create(
        code=NEIGHBOUR, name="江北区", level="county", parent=city
    )
    home.neighbours.add(neighbour)
    CheckItem.objects.bulk_create(
        CheckItem(
            sector=lawyer,
            code=f"LS-{k:02d}",
            name=f"律师事务所检查事项{k}",
            content="检查内容",
            legal_basis=f"《中华人民共和国律师法》第{20 + k}条",
            organizing_body="重庆市渝中区司法局",
            methods=["on_site"],
            default_ratio=RATIO,
            order=k,
        )
        for k in range(1, 11)
    )

    copy_institutions(n_institutions, sector_id=lawyer.id, jurisdiction_id=home.id)
    institution_ids = list(Institution.objects.order_by("id").values_list("id", flat=True))

    # Y3.2: 10 % key (a penalty), 30 % reduced (clean, satisfied, pro bono), 60 % normal.
    with timed("COPY supervision records"):
        today = dt.date.today()
        records = []
        for pk in institution_ids:
            profile = rng.random()
            if profile < 0.10:
                records.append((pk, "penalty", today - dt.timedelta(days=200), True, None))
            elif profile < 0.40:
                records.append((pk, "satisfaction", today - dt.timedelta(days=50), True, 95))
                records.append((pk, "pro_bono", today - dt.timedelta(days=120), True, None))
            else:
                records.append((pk, "satisfaction", today - dt.timedelta(days=70), True, 80))
        copy_rows(
            SupervisionRecord._meta.db_table,
            ["institution_id", "kind", "date", "valid", "score", "reference", "description"],
            (r + ("", "") for r in records),
        )
    with timed("risk tiers (institution_risk_refresh, all institutions: the nightly run)"):
        institution_risk_refresh()

    with timed(f"COPY {n_inspectors:,} inspectors and their sectors"):
        local = n_inspectors - min(NEIGHBOUR_INSPECTORS, n_inspectors // 10)
        copy_rows(
            Inspector._meta.db_table,
            ["name", "certificate_number", "certificate_valid_from", "certificate_valid_to"]
            + ["issuing_authority", "jurisdiction_id", "staff_type", "status"],
            (
                (f"检查员{j}", f"{DIVISION if j <= local else NEIGHBOUR}{j:08d}")
                + ("2020-01-01", "2030-12-31", "重庆市人民政府")
                + (home.id if j <= local else neighbour.id, "bureau", "active")
                for j in range(1, n_inspectors + 1)
            ),
        )
        inspector_ids = list(Inspector.objects.order_by("id").values_list("id", flat=True))
        copy_rows(
            Inspector.sectors.through._meta.db_table,
            ["inspector_id", "sector_id"],
            ((pk, lawyer.id) for pk in inspector_ids),
        )

    with timed(f"COPY {n_conflicts:,} conflicts"):
        pairs = set()
        while len(pairs) < n_conflicts:
            pairs.add((rng.choice(inspector_ids), rng.choice(institution_ids)))
        copy_rows(
            Conflict._meta.db_table,
            ["inspector_id", "institution_id", "kind", "source", "note"],
            (pair + ("other", "self", "") for pair in sorted(pairs)),
        )

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"sector": lawyer, "home": home}


def plan_and_users(data: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from core import roles
    from inspections.models import AnnualPlan, PlanRound, PlanSection
    from inspections.services.plans import plan_publish
    from registry.models import CheckItem

    User = get_user_model()
    staff = User.objects.create_user("bench-staff", is_staff=True)
    staff.groups.add(Group.objects.get(name=roles.STAFF))
    leader = User.objects.create_user("bench-leader", is_staff=True)
    leader.groups.add(Group.objects.get(name=roles.LEADER))
    plan = AnnualPlan.objects.create(jurisdiction=data["home"], year=2026, title="2026 年度计划")
    section = PlanSection.objects.create(
        plan=plan,
        sector=data["sector"],
        ratio_key=RATIO,
        ratio_normal=RATIO,
        ratio_reduced=RATIO,
        team_size=TEAM_SIZE,
        methods=["on_site"],
    )
    section.check_items.set(CheckItem.objects.filter(sector=data["sector"]))
    PlanRound.objects.create(
        section=section, number=1, starts_on=dt.date(2026, 4, 1), ends_on=dt.date(2026, 5, 31)
    )
    plan_round = PlanRound.objects.create(
        section=section, number=2, starts_on=ROUND[0], ends_on=ROUND[1]
    )
    with timed("plan_publish (plan_check over the registry)"):
        plan_publish(plan=plan, user=staff)
    return {"staff": staff, "leader": leader, "round": plan_round}


def reused_context() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from inspections.models import PlanRound
    from registry.models import RiskRefresh
    from registry.services import institution_risk_refresh

    call_command("migrate", verbosity=0)
    if not RiskRefresh.objects.filter(day=timezone.localdate()).exists():
        # The steady state of a working day: the nightly refresh has run (02:30).
        with timed("risk tiers (institution_risk_refresh: today's nightly run)"):
            institution_risk_refresh()
    User = get_user_model()
    return {
        "staff": User.objects.get(username="bench-staff"),
        "leader": User.objects.get(username="bench-leader"),
        "round": PlanRound.objects.get(section__plan__year=2026, number=2),
    }


def approved_task(ctx: dict, name: str):
    from inspections.services.tasks import task_create_for_round, task_decide, task_submit

    task = task_create_for_round(plan_round=ctx["round"], name=name, user=ctx["staff"])
    # Approved on the day before the announcement, like the draw replayed at its own dates: a
    # task approved once its period has mostly gone would need a recorded reason.
    with mock.patch("django.utils.timezone.now", return_value=ANNOUNCED_AT - dt.timedelta(days=1)):
        task = task_submit(task=task, user=ctx["staff"])
        return task_decide(task=task, user=ctx["leader"], approve=True)
