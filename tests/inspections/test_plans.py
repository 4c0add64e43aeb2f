"""Annual plans (Y3.4, N7–N9): the checks before publication, late publication, revisions on the
real 2026 working-day calendar (Mid-Autumn 25–27 September, National Day 1–7 October, make-up working
days Sunday 20 September and Saturday 10 October); task approval by the unit head (N10(1))."""

import datetime as dt

import pytest

from core.exceptions import ServiceError
from core.services import WorkdayCalendar, workdays_add, workdays_before
from inspections.models import AnnualPlan, InspectionTask, PlanRevision
from inspections.services.plans import (
    plan_check,
    plan_publish,
    plan_revision_open,
    plan_revision_publish,
)
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from tests.factories import CheckItemFactory, InstitutionFactory, UserFactory, sector
from tests.inspections.conftest import ROUNDS, clock, plan_make

pytestmark = pytest.mark.django_db

D = dt.date
INSPECTION = D(2026, 10, 19)  # a Monday, nine days after the National Day week


def errors_of(plan) -> list[str]:
    return plan_check(plan=plan).errors


# -- the checks before publication -----------------------------------------------------------------
class TestPlanCheck:
    def test_a_complete_plan_passes(self, draft_plan):
        check = plan_check(plan=draft_plan)
        assert (check.errors, check.warnings) == ([], [])
        (coverage,) = check.coverage.values()
        # 20 institutions, all "normal" at 20 %: 4 a round, 8 a year, 5 % needs 1.
        assert coverage == {"institutions": 20, "per_round": 4, "yearly": 8, "needed": 1}

    def test_every_item_of_the_list_must_be_in_the_plan(self, draft_plan):
        # N9: 不得缺项 — an item added to the list makes every round short of it.
        CheckItemFactory(code="LS-003")
        errors = errors_of(draft_plan)
        assert len(errors) == 2
        assert all("LS-003" in e and "N9" in e for e in errors)
        assert "第 1 批" in errors[0] and "第 2 批" in errors[1]

    def test_an_item_retired_before_the_year_is_not_required(self, draft_plan):
        CheckItemFactory(code="LS-OLD", effective_from=D(2020, 1, 1), effective_to=D(2025, 12, 31))
        assert errors_of(draft_plan) == []

    def test_an_item_in_force_from_mid_year_is_required_in_the_later_round_only(
        self, draft_plan, check_items
    ):
        new = CheckItemFactory(code="LS-NEW", effective_from=D(2026, 7, 1))
        (error,) = errors_of(draft_plan)
        assert "LS-NEW" in error and "第 2 批" in error
        # Once in the plan it is checked in round 2; round 1 (April) does not refuse it.
        draft_plan.sections.get().check_items.add(new)
        assert errors_of(draft_plan) == []

    def test_an_item_retiring_mid_year_is_required_in_the_earlier_round_only(self, draft_plan):
        retiring = CheckItemFactory(code="LS-RET", effective_to=D(2026, 6, 30))
        (error,) = errors_of(draft_plan)
        assert "LS-RET" in error and "第 1 批" in error
        draft_plan.sections.get().check_items.add(retiring)
        assert errors_of(draft_plan) == []

    def test_an_item_in_force_in_no_round_is_refused(self, draft_plan):
        future = CheckItemFactory(code="LS-2027", effective_from=D(2027, 1, 1))
        draft_plan.sections.get().check_items.add(future)
        (error,) = errors_of(draft_plan)
        assert "LS-2027" in error and "不在有效期内" in error

    def test_an_item_of_another_sector_is_refused(self, draft_plan):
        # Y3.4: a plan uses only its own sector's list.
        notary = CheckItemFactory(code="GZ-001", sector=sector("notary"))
        draft_plan.sections.get().check_items.add(notary)
        (error,) = errors_of(draft_plan)
        assert "GZ-001" in error and "Y3.4" in error

    def test_yearly_coverage_below_five_percent_is_refused(self, yuzhong, check_items):
        # N8: 60 institutions at 1 % → 1 a round, 2 a year, but 5 % of 60 is 3.
        InstitutionFactory.create_batch(60, jurisdiction=yuzhong)
        plan = plan_make(jurisdiction=yuzhong, check_items=check_items, ratio_normal=1, ratio_key=1)
        (error,) = errors_of(plan)
        assert "N8" in error
        assert "全年预计抽查 2 家" in error and "总数 60 家" in error and "需 3 家" in error
        plan.sections.update(ratio_normal=2)  # 60 × 2 % → 2 a round, 4 a year
        assert errors_of(plan) == []

    def test_no_coverage_at_all(self, yuzhong, check_items, institutions):
        plan = plan_make(
            jurisdiction=yuzhong,
            check_items=check_items,
            ratio_key=0,
            ratio_normal=0,
            ratio_reduced=0,
        )
        (error,) = errors_of(plan)
        assert "全年预计抽查 0 家" in error and "需 1 家" in error

    def test_rounds_outside_the_year_are_refused(self, yuzhong, check_items, institutions):
        plan = plan_make(
            jurisdiction=yuzhong,
            check_items=check_items,
            rounds=[(D(2025, 12, 15), D(2026, 1, 15)), ROUNDS[1]],
        )
        (error,) = errors_of(plan)
        assert "不在 2026 年度内" in error and "第 1 批" in error
        plan = plan_make(
            jurisdiction=yuzhong,
            check_items=check_items,
            year=2027,
            rounds=[(D(2027, 12, 1), D(2028, 1, 10))],
        )
        assert any("不在 2027 年度内" in e for e in errors_of(plan))

    def test_a_plan_needs_rounds(self, yuzhong, check_items, institutions):
        plan = plan_make(jurisdiction=yuzhong, check_items=check_items, rounds=[])
        assert any("尚未安排抽查批次" in e for e in errors_of(plan))

    def test_a_plan_needs_a_section(self, yuzhong):
        plan = AnnualPlan.objects.create(jurisdiction=yuzhong, year=2026, title="空计划")
        assert errors_of(plan) == ["计划尚未包含任何行业。"]

    def test_fewer_than_two_rounds_is_a_warning_not_an_error(
        self, yuzhong, check_items, institutions, staff_user
    ):
        # N8: "at least twice a year in principle".
        plan = plan_make(jurisdiction=yuzhong, check_items=check_items, rounds=ROUNDS[:1])
        check = plan_check(plan=plan)
        assert check.errors == []
        (warning,) = check.warnings
        assert "仅安排 1 批次" in warning and "N8" in warning
        with clock(D(2026, 1, 10)):
            assert plan_publish(plan=plan, user=staff_user).is_published


# -- publication -----------------------------------------------------------------------------------
class TestPublish:
    def test_published_by_31_january_is_on_time(self, draft_plan, staff_user):
        # 23:00 on 31 January in Shanghai is 15:00 UTC: still the 31st.
        with clock(D(2026, 1, 31), hour=23):
            plan = plan_publish(plan=draft_plan, user=staff_user)
        assert plan.status == AnnualPlan.Status.PUBLISHED
        assert plan.published_on == D(2026, 1, 31)
        assert plan.published_by == staff_user
        assert not plan.is_late

    def test_published_later_is_allowed_and_shown_late(self, draft_plan, staff_user):
        # Y3.4: still published; 00:30 on 1 February in Shanghai is 31 January in UTC.
        with clock(D(2026, 2, 1), hour=0):
            plan = plan_publish(plan=draft_plan, user=staff_user)
        assert plan.is_published
        assert plan.published_on == D(2026, 2, 1)
        assert plan.is_late

    def test_errors_block_publication(self, draft_plan, staff_user):
        CheckItemFactory(code="LS-003")
        with pytest.raises(ServiceError, match="LS-003"):
            plan_publish(plan=draft_plan, user=staff_user)
        draft_plan.refresh_from_db()
        assert draft_plan.status == AnnualPlan.Status.DRAFT and draft_plan.published_at is None

    def test_published_once(self, plan, staff_user):
        with pytest.raises(ServiceError, match="已公布"):
            plan_publish(plan=plan, user=staff_user)


# -- revisions on the 2026 calendar ----------------------------------------------------------------
class TestCalendar2026:
    def test_the_autumn_holidays(self):
        calendar = WorkdayCalendar()
        assert calendar.is_workday(D(2026, 9, 20))  # Sunday, make-up working day
        assert not calendar.is_workday(D(2026, 9, 25))  # Friday, Mid-Autumn Festival
        assert not any(calendar.is_workday(D(2026, 10, d)) for d in range(1, 8))  # National Day
        assert calendar.is_workday(D(2026, 10, 8))  # Thursday, back at work
        assert calendar.is_workday(D(2026, 10, 10))  # Saturday, make-up working day
        assert not calendar.is_workday(D(2026, 10, 11))

    def test_the_dates_the_revision_tests_rely_on(self):
        # Five working days after Friday 18 September: Sun 20 (make-up), Mon–Thu 21–24.
        assert workdays_add(start=D(2026, 9, 18), days=5) == D(2026, 9, 24)
        # After Tuesday 29 September: 30, then 8, 9, 10 (Saturday) and 12 October.
        assert workdays_add(start=D(2026, 9, 29), days=5) == D(2026, 10, 12)
        # Ten working days up to Monday 19 October: 19, 16–12, 10, 9, 8, 30 September.
        assert workdays_before(end=D(2026, 10, 19), days=10) == D(2026, 9, 29)


class TestRevision:
    def open(self, plan, user, changed_on, affected_starts_on=INSPECTION, reason="调整检查时间"):
        return plan_revision_open(
            plan=plan,
            reason=reason,
            summary="第 2 批推迟一周",
            changed_on=changed_on,
            affected_starts_on=affected_starts_on,
            user=user,
        )

    def test_only_a_published_plan_is_revised(self, draft_plan, staff_user):
        with pytest.raises(ServiceError, match="尚未公布"):
            self.open(draft_plan, staff_user, D(2026, 9, 1))

    def test_a_reason_is_required(self, plan, staff_user):
        with pytest.raises(ServiceError, match="修订原因"):
            self.open(plan, staff_user, D(2026, 9, 1), reason="  ")

    def test_refused_when_fewer_than_ten_working_days_remain(self, plan, staff_user):
        # Y3.4: decided on 30 September for an inspection on 19 October: the last day leaving ten
        # working days was 29 September (the National Day week does not count).
        with pytest.raises(ServiceError) as caught:
            self.open(plan, staff_user, D(2026, 9, 30))
        message = str(caught.value)
        for day in ("2026-09-30", "2026-10-19", "2026-09-29", "2026-10-13"):
            assert day in message, (day, message)
        assert not PlanRevision.objects.exists()

    def test_allowed_on_the_last_day(self, plan, staff_user):
        revision = self.open(plan, staff_user, D(2026, 9, 29))
        assert revision.number == 1
        assert revision.publish_by == D(2026, 10, 12)
        assert revision.created_by == staff_user
        assert plan.open_revision() == revision

    def test_one_open_revision_at_a_time(self, plan, staff_user):
        self.open(plan, staff_user, D(2026, 9, 1))
        with pytest.raises(ServiceError, match="未发布的修订"):
            self.open(plan, staff_user, D(2026, 9, 2))

    def test_published_within_five_working_days_is_on_time_later_is_late(self, plan, staff_user):
        first = self.open(plan, staff_user, D(2026, 9, 18), affected_starts_on=D(2026, 11, 2))
        assert first.publish_by == D(2026, 9, 24)  # the make-up Sunday counts
        with clock(D(2026, 9, 24)):
            first = plan_revision_publish(revision=first, user=staff_user)
        assert first.published_on == D(2026, 9, 24) and not first.is_late
        assert first.snapshot["sections"][0]["check_items"][0]["code"] == "LS-001"
        assert [r["number"] for r in first.snapshot["sections"][0]["rounds"]] == [1, 2]

        second = self.open(plan, staff_user, D(2026, 9, 18), affected_starts_on=D(2026, 11, 2))
        assert second.number == 2
        with clock(D(2026, 9, 25)):
            second = plan_revision_publish(revision=second, user=staff_user)
        assert second.is_late
        with pytest.raises(ServiceError, match="已发布"):
            plan_revision_publish(revision=second, user=staff_user)

    def test_publishing_after_the_ten_day_limit_is_refused(self, plan, staff_user):
        revision = self.open(plan, staff_user, D(2026, 9, 29))
        with clock(D(2026, 9, 30)), pytest.raises(ServiceError) as caught:
            plan_revision_publish(revision=revision, user=staff_user)
        assert "2026-09-30" in str(caught.value) and "2026-09-29" in str(caught.value)
        revision.refresh_from_db()
        assert revision.published_at is None
        with clock(D(2026, 9, 29)):
            assert plan_revision_publish(revision=revision, user=staff_user).published_at

    def test_a_revision_is_checked_like_the_plan(self, plan, staff_user):
        revision = self.open(plan, staff_user, D(2026, 9, 1))
        CheckItemFactory(code="LS-003")
        with clock(D(2026, 9, 2)), pytest.raises(ServiceError, match="LS-003"):
            plan_revision_publish(revision=revision, user=staff_user)


# -- tasks -----------------------------------------------------------------------------------------
class TestTaskApproval:
    @pytest.fixture(autouse=True)
    def before_the_round(self):
        # The office applies and the unit head approves before the round starts (a task whose
        # period has passed asks for a reason: tests/inspections/test_task_screens.py).
        with clock(ROUNDS[0][0] - dt.timedelta(days=7)):
            yield

    def test_a_task_takes_the_rounds_dates_and_the_plans_parameters(self, plan_round, staff_user):
        task = task_create_for_round(plan_round=plan_round, user=staff_user)
        assert (
            task.kind == InspectionTask.Kind.RANDOM and task.status == InspectionTask.Status.DRAFT
        )
        assert (task.starts_on, task.ends_on) == ROUNDS[0]
        assert task.ratios == plan_round.section.ratios and task.team_size == 2
        assert list(task.jurisdictions.all()) == [plan_round.section.plan.jurisdiction]
        assert task.name == "2026 年律师行业第 1 批双随机抽查"

    def test_no_task_from_an_unpublished_plan(self, draft_plan, staff_user):
        plan_round = draft_plan.sections.get().rounds.first()
        with pytest.raises(ServiceError, match="尚未公布"):
            task_create_for_round(plan_round=plan_round, user=staff_user)

    def test_approved_by_the_leader(self, plan_round, staff_user, leader_user):
        task = task_create_for_round(plan_round=plan_round, user=staff_user)
        with pytest.raises(ServiceError, match="不在待审批状态"):
            task_decide(task=task, user=leader_user, approve=True)
        task = task_submit(task=task, user=staff_user)
        assert task.applied_by == staff_user and task.applied_at
        with pytest.raises(ServiceError, match="只有单位负责人"):
            task_decide(task=task, user=staff_user, approve=True)
        task = task_decide(task=task, user=leader_user, approve=True, note="同意")
        assert task.status == InspectionTask.Status.APPROVED
        assert (task.approved_by, task.approval_note) == (leader_user, "同意")
        with pytest.raises(ServiceError, match="只有草稿或未获批准"):
            task_submit(task=task, user=staff_user)

    def test_the_applicant_cannot_approve_their_own_task(self, plan_round, leader_user):
        task = task_create_for_round(plan_round=plan_round, user=leader_user)
        task_submit(task=task, user=leader_user)
        with pytest.raises(ServiceError, match="申请人不能审批"):
            task_decide(task=task, user=leader_user, approve=True)
        other_leader = UserFactory(username="leader2")
        other_leader.groups.set(leader_user.groups.all())
        assert task_decide(task=task, user=other_leader, approve=True).status == "approved"

    def test_rejected_then_submitted_again(self, plan_round, staff_user, leader_user):
        task = task_create_for_round(plan_round=plan_round, user=staff_user)
        task_submit(task=task, user=staff_user)
        task = task_decide(task=task, user=leader_user, approve=False, note="范围不清")
        assert task.status == InspectionTask.Status.REJECTED
        task = task_submit(task=task, user=staff_user)
        assert task.status == InspectionTask.Status.SUBMITTED

    def test_a_two_stage_task_needs_the_number_of_jurisdictions(self, plan_round, staff_user):
        task = task_create_for_round(plan_round=plan_round, user=staff_user)
        task.two_stage = True
        task.save()
        with pytest.raises(ServiceError, match="N12"):
            task_submit(task=task, user=staff_user)
