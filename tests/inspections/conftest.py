"""Plans, tasks and draws built through the services, as the office builds them: a published 2026
plan for the lawyer sector of 渝中区 (every active check item in it, N9; ratios that reach 5 %, N8),
an approved task for its first round (N10(1)), and draws announced and executed on it."""

import contextlib
import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from inspections.models import AnnualPlan, Draw, PlanRound, PlanSection
from inspections.services.draws import draw_announce, draw_execute
from inspections.services.plans import plan_publish
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.models import Jurisdiction
from tests.factories import (
    CheckItemFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    sector,
)

YEAR = 2026
ROUNDS = [
    (dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
    (dt.date(2026, 10, 19), dt.date(2026, 11, 13)),
]
SOURCES = [
    {"name": "中国福利彩票双色球第 2026035 期", "kind": "ssq", "date": "2026-03-31"},
    {"name": "上证综合指数 2026-03-31 收盘", "kind": "index", "date": "2026-03-31"},
]
# As typed on the execution screen: the index close with its two decimals (stored × 100).
VALUES = ["3 9 14 22 27 31 8", "3256.71"]
NUMBERS_OF_VALUES = [[3, 9, 14, 22, 27, 31, 8], [325671]]  # VALUES as stored
# The day of SOURCES. The draws of the tests are announced that morning (ANNOUNCE_HOUR), before
# the index closes at 15:00 and the 双色球 is drawn at 21:15, and executed that evening
# (EXECUTE_HOUR), once both exist: the clock of the modules that draw (on_draw_day).
DRAW_DAY = dt.date(2026, 3, 31)
ANNOUNCE_HOUR, EXECUTE_HOUR = 10, 22
# Sources for a re-draw decided on the evening of DRAW_DAY: the next 双色球 (Thursday) and the
# index that day; executed on REDRAW_DAY's evening.
REDRAW_DAY = dt.date(2026, 4, 2)
REDRAW_SOURCES = [
    {"name": "中国福利彩票双色球第 2026036 期", "kind": "ssq", "date": "2026-04-02"},
    {"name": "上证综合指数 2026-04-02 收盘", "kind": "index", "date": "2026-04-02"},
]


# What tools/verify_draw.py prints for a draw that verifies: Chinese, then English (issue 12 §11).
VERIFIER_OK = (
    "一致：按公开文件重新计算的结果与公布的结果完全相同。\n"
    "OK: recomputing the draw from the published document gives exactly the published result."
)


def mismatches(stdout: str) -> list[tuple[str, str]]:
    """The verifier's mismatch lines as (Chinese, English) pairs; each comes in both."""
    lines = stdout.splitlines()
    pairs = list(zip(lines[0::2], lines[1::2], strict=False))
    assert all(zh.startswith("不一致：") and en.startswith("MISMATCH: ") for zh, en in pairs), lines
    return pairs


@contextlib.contextmanager
def clock(day: dt.date, hour: int = 10, minute: int = 0):
    """Run the services on `day` (Asia/Shanghai): timezone.now() and localdate() both follow."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo("Asia/Shanghai"))
    # In UTC, as timezone.now() gives it.
    moment = moment.astimezone(dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield moment


def plan_make(
    *, jurisdiction, check_items, year: int = YEAR, rounds=ROUNDS, **section_fields
) -> AnnualPlan:
    """A draft plan with one lawyer section holding `check_items` and `rounds`."""
    plan = AnnualPlan.objects.create(
        jurisdiction=jurisdiction, year=year, title=f"{jurisdiction.name}{year}年度双随机抽查计划"
    )
    fields = {"ratio_key": 20, "ratio_normal": 20, "ratio_reduced": 5, "methods": ["on_site"]}
    section = PlanSection.objects.create(
        plan=plan, sector=sector("lawyer"), **(fields | section_fields)
    )
    section.check_items.set(check_items)
    for number, (starts_on, ends_on) in enumerate(rounds, start=1):
        PlanRound.objects.create(
            section=section, number=number, starts_on=starts_on, ends_on=ends_on
        )
    return plan


def task_approve(*, plan_round: PlanRound, applicant, leader, **changes):
    """Create, submit and approve a task for the round; `changes` are applied to the draft. As the
    office does it, the day before the round starts (a task whose period has passed is approved
    only with a reason: tests/inspections/test_task_screens.py)."""
    with clock(plan_round.starts_on - dt.timedelta(days=1)):
        task = task_create_for_round(plan_round=plan_round, user=applicant)
        for name, value in changes.items():
            setattr(task, name, value)
        task.save()
        task_submit(task=task, user=applicant)
        return task_decide(task=task, user=leader, approve=True, note="同意")


def announce(**kwargs):
    """draw_announce on the morning of DRAW_DAY, before its sources (RFC 3797 §3)."""
    kwargs.setdefault("sources", SOURCES)
    with clock(DRAW_DAY, ANNOUNCE_HOUR):
        return draw_announce(**kwargs)


def draw_made(*, draft: AnnualPlan, staff, leader, **task_changes) -> Draw:
    """The fixtures' chain below in one call, for tests that build their own registry (the
    browser's): `draft` published on 20 January, a task of its first round approved (with
    `task_changes`), announced on the morning of DRAW_DAY and executed that evening."""
    with clock(dt.date(YEAR, 1, 20)):
        plan = plan_publish(plan=draft, user=staff)
    task = task_approve(
        plan_round=PlanRound.objects.get(section__plan=plan, number=1),
        applicant=staff,
        leader=leader,
        **task_changes,
    )
    draw = announce(task=task, sources=SOURCES, user=staff)
    with clock(DRAW_DAY, EXECUTE_HOUR):
        return draw_execute(draw=draw, values=VALUES, user=staff)


@pytest.fixture
def on_draw_day():
    """Run the test on the evening of DRAW_DAY, once its sources exist (modules that draw use it
    for every test); announcements are made that morning (announce)."""
    with clock(DRAW_DAY, EXECUTE_HOUR):
        yield


@pytest.fixture
def yuzhong(db):
    return JurisdictionFactory()


@pytest.fixture
def jiangbei(yuzhong):
    """The neighbour (N11): its inspectors may be borrowed."""
    neighbour = Jurisdiction.objects.create(code="500105", name="江北区", level="county")
    yuzhong.neighbours.add(neighbour)
    return neighbour


@pytest.fixture
def check_items(db):
    return [
        CheckItemFactory(code="LS-001", name="律师事务所执业许可证与登记事项"),
        CheckItemFactory(code="LS-002", name="律师事务所内部管理制度落实情况"),
    ]


@pytest.fixture
def institutions(yuzhong):
    return InstitutionFactory.create_batch(20, jurisdiction=yuzhong)


@pytest.fixture
def inspectors(yuzhong):
    return InspectorFactory.create_batch(6, jurisdiction=yuzhong)


@pytest.fixture
def draft_plan(yuzhong, check_items, institutions):
    return plan_make(jurisdiction=yuzhong, check_items=check_items)


@pytest.fixture
def plan(draft_plan, staff_user):
    with clock(dt.date(YEAR, 1, 20)):
        return plan_publish(plan=draft_plan, user=staff_user)


@pytest.fixture
def plan_round(plan):
    return PlanRound.objects.get(section__plan=plan, number=1)


@pytest.fixture
def task(plan_round, staff_user, leader_user, inspectors):
    return task_approve(plan_round=plan_round, applicant=staff_user, leader=leader_user)


@pytest.fixture
def announced(task, staff_user):
    return announce(task=task, sources=SOURCES, user=staff_user)


@pytest.fixture
def executed(announced, staff_user):
    with clock(DRAW_DAY, EXECUTE_HOUR):
        return draw_execute(draw=announced, values=VALUES, user=staff_user)
