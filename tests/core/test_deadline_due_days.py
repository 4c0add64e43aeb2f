"""Due days in working days (SPEC §2, §6; issue 4 §4), counted on the seeded 2026 calendar
(National Day and Mid-autumn 1–8 Oct with Saturday 10 Oct worked; Spring Festival 15–23 Feb with
Saturday 14 Feb worked), and the plans' deadlines: published by 31 January, a revision within 5
working days (Y3.4)."""

import pytest
from django.core import mail
from django.utils import timezone

from core.deadlines import deadline_open
from core.models import Deadline
from core.services import calendar_import_csv
from inspections.models import AnnualPlan, PlanRevision, PlanRound, PlanSection
from inspections.services.plans import (
    plan_create,
    plan_publish,
    plan_revision_open,
    plan_revision_publish,
)
from tests.core.deadline_data import day, report_deadline, subjects, sweep, task_ending
from tests.factories import CheckItemFactory, JurisdictionFactory, sector
from tests.inspections.conftest import ROUNDS, clock, plan_make

pytestmark = pytest.mark.django_db


class TestDueDays:
    def test_report_after_national_day(self):
        # N13: 5 working days after 30 Sep: 8, 9, 10 (Saturday worked), 12, 13 Oct.
        deadline = report_deadline(task_ending(day("2026-09-30")))
        assert deadline.due_on == day("2026-10-13")

    def test_feedback_across_spring_festival(self):
        # N14: 5 working days after Friday 13 Feb: 14 Feb (Saturday worked), then 24–27 Feb.
        task = task_ending(day("2026-02-13"))
        deadline = deadline_open(
            kind=Deadline.Kind.FEEDBACK,
            subject=task,
            starts_on=day("2026-02-13"),
            workdays=5,
            title="反馈",
            rule="N14",
        )
        assert deadline.due_on == day("2026-02-27")

    @pytest.mark.parametrize(
        ("workdays", "due"),
        [(20, "2026-10-29"), (10, "2026-10-15")],  # Y3.6: 20 working days; N15: 10
    )
    def test_publication_per_jurisdiction_policy(self, workdays, due):
        deadline = deadline_open(
            kind=Deadline.Kind.PUBLICATION,
            subject=task_ending(day("2026-09-24")),
            starts_on=day("2026-09-24"),
            workdays=workdays,
            title="公开",
            rule="Y3.6、N15",
        )
        assert deadline.due_on == day(due)

    def test_opening_twice_keeps_the_first(self):
        task = task_ending(day("2026-09-30"))
        first = report_deadline(task)
        again = deadline_open(
            kind=Deadline.Kind.REPORT,
            subject=task,
            starts_on=day("2026-11-30"),
            workdays=5,
            title="x",
            rule="x",
        )
        assert again.pk == first.pk and again.due_on == day("2026-10-13")

    def test_missing_calendar_then_computed_by_the_sweep(self, staff):
        # SPEC §6: 2027 has no calendar yet; the due day is not guessed.
        deadline = report_deadline(task_ending(day("2026-12-28")), staff)
        assert deadline.due_on is None
        output = sweep("2026-12-29")
        assert "2027 年的工作日历尚未录入" in output
        deadline.refresh_from_db()
        assert deadline.due_on is None
        assert mail.outbox == []

        # Staff enter 2027 (New Year's Day off) and mark it complete: the next sweep computes it.
        calendar_import_csv(content=b"date,kind,name\n2027-01-01,holiday,\n", complete_years=True)
        sweep("2026-12-30")
        deadline.refresh_from_db()
        # 29, 30, 31 Dec, (1 Jan off), 4, 5 Jan.
        assert deadline.due_on == day("2027-01-05")
        assert subjects() == []  # 3 working days left on 30 Dec: no reminder yet
        sweep("2026-12-31")
        assert subjects() == [
            "【期限提醒】2026 年律师行业第 2 批双随机抽查：完成抽查报告，2027-01-05 到期"
        ]


@pytest.fixture
def yuzhong(db):
    return JurisdictionFactory()


@pytest.fixture
def items(db):
    return [CheckItemFactory(code="LS-001"), CheckItemFactory(code="LS-002")]


def plan_content(plan: AnnualPlan, items) -> None:
    """One lawyer section with every item and two rounds, as plan_make builds (publishable)."""
    section = PlanSection.objects.create(
        plan=plan, sector=sector("lawyer"), ratio_normal=20, methods=["on_site"]
    )
    section.check_items.set(items)
    for number, (starts_on, ends_on) in enumerate(ROUNDS, start=1):
        PlanRound.objects.create(
            section=section, number=number, starts_on=starts_on, ends_on=ends_on
        )


def plan_deadline(plan: AnnualPlan) -> Deadline:
    return Deadline.objects.get(kind=Deadline.Kind.PLAN, subject_id=plan.pk)


class TestPlanDeadlines:
    def test_plan_created_opens_31_january_met_by_publishing(self, yuzhong, items, staff):
        # Y3.4: the plan for a year is published by 31 January.
        with clock(day("2025-12-15")):
            plan = plan_create(jurisdiction=yuzhong, year=2026, title="2026 年度计划", user=staff)
        deadline = plan_deadline(plan)
        assert deadline.due_on == day("2026-01-31") and deadline.responsible == staff
        assert deadline.url == f"/admin/inspections/annualplan/{plan.pk}/change/"

        sweep("2026-01-27")
        assert mail.outbox == []
        sweep("2026-01-28")  # 29 and 30 Jan left (31 Jan is a Saturday)
        assert subjects() == ["【期限提醒】2026 年度计划：公布年度抽查计划，2026-01-31 到期"]

        plan_content(plan, items)
        with clock(day("2026-01-29")):
            plan_publish(plan=plan, user=staff)
        deadline.refresh_from_db()
        assert deadline.met_at is not None and not deadline.met_late
        sweep("2026-02-02")
        assert len(mail.outbox) == 1

    def test_plan_made_elsewhere_published_late(self, yuzhong, items, staff):
        # A plan entered without plan_create (the admin's add form today) still gets its record
        # when published, and a publication after 31 January shows as met late.
        plan = plan_make(jurisdiction=yuzhong, check_items=items)
        with clock(day("2026-02-10")):
            plan_publish(plan=plan, user=staff)
        deadline = plan_deadline(plan)
        assert deadline.due_on == day("2026-01-31")
        assert deadline.met_late
        assert timezone.localdate(deadline.missed_at) == day("2026-02-01")

    def test_revision_within_5_working_days(self, yuzhong, items, staff):
        plan = plan_make(jurisdiction=yuzhong, check_items=items)
        with clock(day("2026-01-20")):
            plan_publish(plan=plan, user=staff)
        with clock(day("2026-03-02")):
            revision = plan_revision_open(
                plan=plan,
                reason="机构数量变化",
                summary="调整第 2 批比例",
                affected_starts_on=day("2026-10-19"),
                user=staff,
            )
        deadline = Deadline.objects.get(kind=Deadline.Kind.PLAN_REVISION, subject_id=revision.pk)
        # Y3.4: published within 5 working days of the change (2–6 and 9 March).
        assert deadline.due_on == revision.publish_by == day("2026-03-09")
        assert deadline.responsible == staff

        sweep("2026-03-05")
        assert subjects() == [f"【期限提醒】{revision}：发布计划修订，2026-03-09 到期"]
        with clock(day("2026-03-06")):
            plan_revision_publish(revision=PlanRevision.objects.get(pk=revision.pk), user=staff)
        deadline.refresh_from_db()
        assert deadline.met_at is not None and deadline.missed_at is None
        sweep("2026-03-10")
        assert len(mail.outbox) == 1
