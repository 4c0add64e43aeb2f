"""Yuzhong's 2026 plan, its tasks and draws, through the inspection services (plan_publish,
task_*, draw_*): one announced-and-executed draw in which a conflict of interest recused an
inspector, and one draw that is announced and waits for its sources."""

import datetime as dt
import random

from demo.story.registries import YUZHONG
from demo.story.replay import SEED, replayed_at, shanghai
from inspections.models import AnnualPlan, Draw, InspectionTask, PlanRound, PlanSection
from inspections.services import (
    draw_announce,
    draw_execute,
    draw_inputs,
    plan_publish,
    task_create_for_round,
    task_decide,
    task_submit,
)
from registry.models import CheckItem, Jurisdiction, Sector
from tools import verify_draw as algorithm

# The 2026 plan of Yuzhong (Y3.4, N7): sector, methods and the rounds' windows.
PLAN_YEAR = 2026
PLAN_TITLE = "重庆市渝中区司法局2026年度“双随机、一公开”抽查工作计划"
PLAN_SECTIONS = [
    (
        "lawyer",
        ["on_site", "system", "case_file", "phone"],
        [
            (dt.date(2026, 4, 1), dt.date(2026, 5, 31)),
            (dt.date(2026, 10, 12), dt.date(2026, 12, 18)),
        ],
    ),
    (
        "notary",
        ["case_file", "on_site"],
        [
            (dt.date(2026, 5, 11), dt.date(2026, 6, 19)),
            (dt.date(2026, 12, 7), dt.date(2026, 12, 25)),
        ],
    ),
]
# Demo draws: the lawyers' two rounds, announced and executed (the first carried through to the
# filing, the second in progress: demo/story/fieldwork.py); the notaries' second round, announced
# and waiting for its sources. Times are Asia/Shanghai. Three entries of one shape, each field
# named: data, which reads better spelled out than folded into a table.
DEMO_DRAWS = [
    {
        "sector": "lawyer",
        "round": 1,
        "applied_at": (2026, 3, 16, 9, 30),
        "approved_at": (2026, 3, 17, 15, 0),
        "announced_at": (2026, 3, 20, 10, 0),
        "sources": [
            {"kind": "ssq", "name": "中国福利彩票双色球第2026032期", "date": "2026-03-24"},
            {"kind": "dlt", "name": "超级大乐透第26032期", "date": "2026-03-23"},
            {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-03-25"},
        ],
        "executed_at": (2026, 3, 26, 16, 30),
    },
    {
        "sector": "lawyer",
        "round": 2,
        "applied_at": (2026, 9, 21, 9, 30),
        "approved_at": (2026, 9, 22, 15, 0),
        "announced_at": (2026, 9, 28, 10, 0),
        "sources": [
            {"kind": "ssq", "name": "中国福利彩票双色球第2026115期", "date": "2026-10-08"},
            {"kind": "dlt", "name": "超级大乐透第26115期", "date": "2026-10-07"},
            {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-10-09"},
        ],
        "executed_at": (2026, 10, 9, 16, 30),
    },
    {
        "sector": "notary",
        "round": 2,
        "applied_at": (2026, 11, 19, 9, 30),
        "approved_at": (2026, 11, 20, 11, 0),
        "announced_at": (2026, 11, 24, 10, 0),
        "sources": [
            {"kind": "ssq", "name": "中国福利彩票双色球第2026138期", "date": "2026-12-01"},
            {"kind": "dlt", "name": "超级大乐透第26139期", "date": "2026-12-02"},
            {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-12-02"},
        ],
        "executed_at": None,
    },
]


def plan() -> AnnualPlan:
    """The 2026 plan of Yuzhong, published or not yet."""
    plan, _created = AnnualPlan.objects.get_or_create(
        jurisdiction=Jurisdiction.objects.get(code=YUZHONG),
        year=PLAN_YEAR,
        defaults={"title": PLAN_TITLE},
    )
    return plan


def plan_publish_on_time(plan: AnnualPlan, *, staff) -> None:
    """Every check item in force per sector (N9) and two rounds (N8), then the plan published."""
    for sector_code, methods, rounds in PLAN_SECTIONS:
        sector = Sector.objects.get(code=sector_code)
        section, _created = PlanSection.objects.get_or_create(
            plan=plan, sector=sector, defaults={"methods": methods}
        )
        items = CheckItem.objects.filter(sector=sector).active_on(rounds[0][0])
        section.check_items.set(items)
        for number, (starts_on, ends_on) in enumerate(rounds, start=1):
            PlanRound.objects.get_or_create(
                section=section,
                number=number,
                defaults={"starts_on": starts_on, "ends_on": ends_on},
            )
    # Published on time (Y3.4: by 31 January), replayed on its day: the publication time and
    # the plan's deadline agree.
    with replayed_at(shanghai(2026, 1, 20, 9, 30)):
        plan_publish(plan=plan, user=staff)


def draw(plan: AnnualPlan, spec: dict, *, staff, leader) -> Draw:
    """A task applied for by the office and approved by the leader in charge (N10(1)), its
    draw announced and, when `spec` says so, executed. Each step is done once only."""
    plan_round = PlanRound.objects.get(
        section__plan=plan, section__sector__code=spec["sector"], number=spec["round"]
    )
    task = plan_round.tasks.filter(kind=InspectionTask.Kind.RANDOM).first()
    if task is None:
        task = task_create_for_round(plan_round=plan_round, user=staff)
    if task.status == InspectionTask.Status.DRAFT:
        # Replayed on their days, before the round (whatever day the demo is loaded on): the
        # stamps are those days, and the approval is not one of a period already past.
        with replayed_at(shanghai(*spec["applied_at"])):
            task = task_submit(task=task, user=staff)
        with replayed_at(shanghai(*spec["approved_at"])):
            task = task_decide(task=task, user=leader, approve=True, note="同意。")
    draw = task.current_draw()
    if draw is None:
        # Replayed at its own dates: the sources lie after the announcement and no later
        # than the execution, whatever day the demo is loaded on.
        draw = draw_announce(
            task=task, sources=spec["sources"], user=staff, at=shanghai(*spec["announced_at"])
        )
    if spec["executed_at"] and not draw.is_executed:
        draw = draw_execute(
            draw=draw,
            values=values_with_conflict(draw),
            user=staff,
            at=shanghai(*spec["executed_at"]),
        )
    return draw


def lawyer_tasks(plan: AnnualPlan) -> dict[int, InspectionTask]:
    """The lawyers' tasks of the plan, by round number."""
    tasks = InspectionTask.objects.filter(
        plan_round__section__plan=plan, plan_round__section__sector__code="lawyer"
    ).select_related("plan_round")
    return {task.plan_round.number: task for task in tasks}


def values_with_conflict(draw: Draw) -> list[list[int]]:
    """Source values, chosen deterministically, under which a conflicted inspector is drawn
    and recused (N11): the demo's public pages then show a recusal step."""
    rng = random.Random(SEED)  # the same values on every fresh database
    kinds = [s["kind"] for s in draw.announcement["sources"]]
    for _attempt in range(1000):
        values = [source_values(rng, kind) for kind in kinds]
        result = algorithm.compute_draw(draw_inputs(draw, values))
        steps = (step for team in result["teams"] for step in team["steps"])
        if any(step["outcome"] == "conflict" for step in steps):
            return values
    raise RuntimeError("no demo source values give a recusal; add conflicts to the demo")


def source_values(rng: random.Random, kind: str) -> list[int]:
    """Plausible numbers of one public source, as they are read (SOURCE_KINDS)."""
    if kind == "ssq":  # 6 red balls of 33, 1 blue of 16
        return sorted(rng.sample(range(1, 34), 6)) + [rng.randint(1, 16)]
    if kind == "dlt":  # 5 front of 35, 2 back of 12
        return sorted(rng.sample(range(1, 36), 5)) + sorted(rng.sample(range(1, 13), 2))
    return [rng.randint(380_000, 410_000)]  # a close of the SSE Composite × 100
