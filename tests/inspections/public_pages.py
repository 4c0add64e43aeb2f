"""The public pages of plans and draws as the tests read them (Y3.4, N10–N12): pages fetched
anonymously, plans made and published, and a world of draws in every state with data that must
never be published.

`world` and `on_sources_day` are fixtures: a test module imports them by name (`world as world`)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.models import AnnualPlan, Draw, PlanRound, PlanSection
from inspections.services.draws import draw_announce, draw_execute, draw_immediate, draw_redraw
from inspections.services.plans import plan_publish, plan_revision_open, plan_revision_publish
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.models import CheckItem
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    PractitionerFactory,
    UserFactory,
    make_id_number,
    sector,
)
from tests.inspections.conftest import clock

YEAR = 2026  # the seeded working-day calendar knows it (plan revisions count working days)
SCRIPT_NAME = "<script>alert('x')</script>律所"
SOURCES_DAY = dt.date(YEAR, 3, 20)
SOURCES = [
    {"name": "中国福利彩票双色球 第2026045期", "kind": "ssq", "date": f"{YEAR}-03-20"},
    {"name": "上证综合指数收盘点位", "kind": "index", "date": f"{YEAR}-03-20"},
]
VALUES = ["3 9 14 22 27 31 12", "3312.45"]
# The re-draw is decided on the evening of SOURCES_DAY, on the next 双色球 and index close.
REDRAW_DAY = dt.date(YEAR, 3, 24)
REDRAW_SOURCES = [
    {"name": "中国福利彩票双色球 第2026046期", "kind": "ssq", "date": f"{YEAR}-03-24"},
    {"name": "上证综合指数收盘点位（3 月 24 日）", "kind": "index", "date": f"{YEAR}-03-24"},
]


@pytest.fixture
def on_sources_day():
    """Draws are executed on the evening of the day of SOURCES (announce: that morning)."""
    with clock(SOURCES_DAY, 22):
        yield


def announce(**kwargs):
    with clock(SOURCES_DAY, 10):
        return draw_announce(**kwargs)


def shanghai(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def get(client, url: str, status: int = 200, **params):
    response = client.get(url, params)
    assert response.status_code == status, url
    return response


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def page(client, url: str, **params) -> str:
    return body(get(client, url, **params)).decode()


def make_plan(user, *, year: int = YEAR, title: str = "", publish: bool = True) -> AnnualPlan:
    plan = AnnualPlan.objects.create(
        jurisdiction=JurisdictionFactory(), year=year, title=title or f"渝中区 {year} 年度抽查计划"
    )
    section = PlanSection.objects.create(
        plan=plan,
        sector=sector("lawyer"),
        methods=["on_site", "phone"],
        target_scope="渝中区内全部执业律师事务所",
        ratio_normal=50,  # many selections for a small pool: the pages show more than one row
    )
    # N9: every item of the sector's list; created once, shared by the plans of a test.
    items = list(CheckItem.objects.filter(sector=section.sector)) or CheckItemFactory.create_batch(
        2
    )
    section.check_items.set(items)
    PlanRound.objects.create(
        section=section, number=1, starts_on=dt.date(year, 4, 1), ends_on=dt.date(year, 5, 31)
    )
    PlanRound.objects.create(
        section=section, number=2, starts_on=dt.date(year, 9, 1), ends_on=dt.date(year, 9, 30)
    )
    if publish:
        plan_publish(plan=plan, user=user)
    return plan


def approved_task(plan: AnnualPlan, number: int, staff, leader, name: str = ""):
    plan_round = PlanRound.objects.get(section__plan=plan, number=number)
    task = task_create_for_round(plan_round=plan_round, name=name, user=staff)
    task_submit(task=task, user=staff)
    return task_decide(task=task, user=leader, approve=True)


@pytest.fixture
def world(staff_user, leader_user):
    """A published plan with a revision, a draft plan, and draws in every state: executed and
    superseded, its re-draw, an immediate one and one only announced. With data that must never be
    published: practitioners' ID numbers and phones, inspectors' and staff's login accounts."""
    staff_user.username = "wang.staff.account"
    staff_user.save()
    yuzhong = JurisdictionFactory()
    neighbour = JurisdictionFactory(code="500105", name="江北区")
    yuzhong.neighbours.add(neighbour)
    institutions = InstitutionFactory.create_batch(11) + [InstitutionFactory(name=SCRIPT_NAME)]
    person = PractitionerFactory(
        institution=institutions[0],
        name="李明",
        id_number=make_id_number(777, birth="19750505"),
        phone="13812345678",
    )
    inspectors = [InspectorFactory(user=UserFactory(username="zhao.login"))]
    inspectors += InspectorFactory.create_batch(5)
    inspectors.append(InspectorFactory(jurisdiction=neighbour))
    for institution in institutions[:4]:
        ConflictFactory(inspector=inspectors[0], institution=institution)

    plan = make_plan(staff_user, title="渝中区司法局 2026 年度“双随机、一公开”抽查计划")
    AnnualPlan.objects.filter(pk=plan.pk).update(published_at=shanghai(dt.date(YEAR, 3, 2)))
    revision = plan_revision_open(
        plan=plan,
        reason="第二批检查时间调整",
        summary="第二批检查推迟一周。",
        changed_on=dt.date(YEAR, 6, 1),
        affected_starts_on=dt.date(YEAR, 9, 1),
        user=staff_user,
    )
    with clock(dt.date(YEAR, 6, 3)):
        plan_revision_publish(revision=revision, user=staff_user)
    draft = make_plan(staff_user, year=YEAR + 1, title="2027 年度计划（草稿）", publish=False)

    task = approved_task(plan, 1, staff_user, leader_user)
    first = announce(task=task, sources=SOURCES, user=staff_user)
    first = draw_execute(draw=first, values=VALUES, user=staff_user)
    redraw = draw_redraw(
        draw=first,
        reason="抽中的一家律师事务所在公告后注销。",
        requested_by=staff_user,
        approved_by=leader_user,
        sources=REDRAW_SOURCES,
    )
    with clock(REDRAW_DAY, 22):
        redraw = draw_execute(draw=redraw, values=["1 2 3 4 5 6 7", "3312.46"], user=staff_user)
    immediate = draw_immediate(
        task=approved_task(plan, 2, staff_user, leader_user, name="第二批当场抽取"),
        reason="随机源停开",
        witnesses=["见证人甲", "见证人乙"],
        user=staff_user,
    )
    announced = draw_announce(
        task=approved_task(plan, 2, staff_user, leader_user, name="第二批补充抽查"),
        sources=REDRAW_SOURCES,
        user=staff_user,
    )
    return {
        "plan": plan,
        "draft": draft,
        "first": Draw.objects.get(pk=first.pk),
        "redraw": redraw,
        "immediate": immediate,
        "announced": announced,
        "person": person,
        "inspectors": inspectors,
        "staff": staff_user,
        "leader": leader_user,
    }


def draws(world) -> list[Draw]:
    return [world[k] for k in ("first", "redraw", "immediate", "announced")]


def public_urls(world) -> list[str]:
    urls = [
        reverse("inspections:plan_list"),
        reverse("inspections:plan_detail", args=[world["plan"].pk]),
        reverse("inspections:draw_list"),
        reverse("inspections:draw_list_json"),
        reverse("inspections:verifier_download"),
    ]
    for draw in draws(world):
        urls += [
            reverse("inspections:draw_detail", args=[draw.pk]),
            reverse("inspections:draw_json", args=[draw.pk]),
        ]
    return urls
