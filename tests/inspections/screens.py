"""The office's screens as the tests use them (SPEC §2–§3): a logged-in client per role, admin URLs
and messages; a small world of 40 law firms and 4 inspectors (the first recused everywhere); a
plan published for last year, its approved task and a draw executed on one 双色球 drawn tomorrow.

`world` and `clients` are fixtures: a test module imports them by name (`world as world`)."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inspections.models import AnnualPlan, Draw, InspectionTask, PlanRound, PlanSection
from inspections.services.draws import DEFAULT_MISSING_RULE, draw_announce, draw_execute
from inspections.services.plans import plan_publish
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    sector,
)
from tests.inspections.conftest import clock
from tests.twofactor import SecondFactorClient

TODAY = timezone.localdate()
# A plan published today for last year is always published after 31 January: late (Y3.4).
LAST_YEAR = TODAY.year - 1
# Announced now, drawn tomorrow at 21:15; executed once it is out (the evening clock below).
TOMORROW = TODAY + dt.timedelta(days=1)
SSQ = {"kind": "ssq", "name": "双色球第2026140期", "date": TOMORROW.isoformat()}


def after_the_draw():
    """The evening of SSQ's day: its numbers are out."""
    return clock(TOMORROW, 22)


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def client_for(user) -> Client:
    client = SecondFactorClient()
    # Sessions last 12 hours (issue 14 §1) and these tests act today and on the evening of the
    # draw: the session is opened on the latter's clock, so that the database keeps it for both.
    with after_the_draw():
        client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def world():
    """40 law firms; 4 inspectors, the first in conflict with every firm (N11: recused)."""
    yuzhong = JurisdictionFactory()
    firms = InstitutionFactory.create_batch(40, jurisdiction=yuzhong)
    inspectors = InspectorFactory.create_batch(4, jurisdiction=yuzhong)
    for firm in firms:
        ConflictFactory(inspector=inspectors[0], institution=firm)
    items = [CheckItemFactory(), CheckItemFactory()]
    return SimpleNamespace(
        jurisdiction=yuzhong, firms=firms, inspectors=inspectors, recused=inspectors[0], items=items
    )


@pytest.fixture
def clients(staff_user, leader_user, auditor_user, admin_user):
    return SimpleNamespace(
        staff=client_for(staff_user),
        leader=client_for(leader_user),
        auditor=client_for(auditor_user),
        admin=client_for(admin_user),  # a superuser
    )


def published_plan(world, user, *, year: int, rounds) -> AnnualPlan:
    plan = AnnualPlan.objects.create(
        jurisdiction=world.jurisdiction, year=year, title=f"渝中区 {year} 年度抽查计划"
    )
    section = PlanSection.objects.create(plan=plan, sector=sector("lawyer"), methods=["on_site"])
    section.check_items.set(world.items)
    for number, (start, end) in enumerate(rounds, start=1):
        PlanRound.objects.create(section=section, number=number, starts_on=start, ends_on=end)
    return plan_publish(plan=plan, user=user)


def approved_task(world, staff_user, leader_user) -> InspectionTask:
    year_rounds = [(dt.date(LAST_YEAR, 3, 1), dt.date(LAST_YEAR, 4, 30))]
    plan = published_plan(world, staff_user, year=LAST_YEAR, rounds=year_rounds)
    task = task_create_for_round(plan_round=PlanRound.objects.get(section__plan=plan), user=None)
    task_submit(task=task, user=staff_user)
    # Last year's round: its period has passed, so the approval records why.
    return task_decide(task=task, user=leader_user, approve=True, late_reason="补做去年的批次")


def executed_draw(world, staff_user, leader_user) -> Draw:
    task = approved_task(world, staff_user, leader_user)
    draw = draw_announce(task=task, sources=[SSQ], user=staff_user)
    with after_the_draw():
        return draw_execute(draw=draw, values=["1 2 3 4 5 6 7"], user=staff_user)


def sources_data(*rows: dict, **extra) -> dict:
    data = {
        "source-TOTAL_FORMS": "4",
        "source-INITIAL_FORMS": "0",
        "source-MIN_NUM_FORMS": "1",
        "source-MAX_NUM_FORMS": "4",
        "missing_rule": str(DEFAULT_MISSING_RULE),
        **extra,
    }
    for i, row in enumerate(rows):
        data.update({f"source-{i}-{key}": value for key, value in row.items()})
    return data
