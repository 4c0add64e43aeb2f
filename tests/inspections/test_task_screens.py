"""Tasks in the office's screens (issue 12 §11). A task starts from its plan: the add page is
filled from the chosen round of the published plan — ratios per tier, team size, dates, sector,
jurisdiction — and a task below the plan's ratios or team size, or outside its round's dates, is
refused with the figures, on the form field and in the services (N8, N11, Y3.4). A task whose
period has passed is approved, and its draw announced, only once that is confirmed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from core.exceptions import ServiceError
from inspections.models import Draw, InspectionTask, PlanRound
from inspections.services.plans import plan_publish
from inspections.services.tasks import (
    task_create_for_round,
    task_decide,
    task_period_warning,
    task_save,
    task_submit,
)
from tests.factories import sector
from tests.inspections.conftest import YEAR, clock, plan_make
from tests.inspections.screens import admin_url, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(staff_user) -> Client:
    return client_for(staff_user)


@pytest.fixture
def plan(yuzhong, check_items, staff_user):
    """A published plan asking more than the model's defaults: 30 / 10 / 5 %, teams of 3."""
    draft = plan_make(
        jurisdiction=yuzhong,
        check_items=check_items,
        ratio_key=30,
        ratio_normal=10,
        ratio_reduced=5,
        team_size=3,
    )
    with clock(dt.date(YEAR, 1, 20)):
        return plan_publish(plan=draft, user=staff_user)


@pytest.fixture
def first_round(plan) -> PlanRound:
    return PlanRound.objects.get(section__plan=plan, number=1)


def task_form(first_round, **changes) -> dict:
    """What the add page posts for a task of the round, as the plan has it."""
    data = {
        "name": "2026 年律师行业第 1 批双随机抽查",
        "kind": "random",
        "plan_round": first_round.pk,
        "sector": sector("lawyer").pk,
        "jurisdictions": [first_round.section.plan.jurisdiction_id],
        "starts_on": "2026-04-01",
        "ends_on": "2026-04-30",
        "team_size": "3",
        "ratio_key": "30",
        "ratio_normal": "10",
        "ratio_reduced": "5",
        "_save": "1",
    }
    return {**data, **changes}


class TestTheAddPageStartsFromThePlan:
    def test_the_round_fills_in_what_the_plan_says(self, staff, first_round, yuzhong):
        page = staff.get(
            admin_url("inspections_inspectiontask_add"), {"plan_round": first_round.pk}
        )
        assert page.status_code == 200
        form = page.context["adminform"].form
        initial = {name: form[name].value() for name in form.fields}
        assert initial["kind"] == "random"
        assert initial["sector"] == sector("lawyer").pk
        assert list(initial["jurisdictions"]) == [yuzhong.pk]
        assert str(initial["starts_on"]) == "2026-04-01" and str(initial["ends_on"]) == "2026-04-30"
        assert (initial["ratio_key"], initial["ratio_normal"], initial["ratio_reduced"]) == (
            Decimal(30),
            Decimal(10),
            Decimal(5),
        )
        assert initial["team_size"] == 3
        assert initial["name"] == "2026 年律师行业第 1 批双随机抽查"
        html = page.content.decode()
        assert 'name="ratio_normal" value="10' in html

    def test_the_plan_links_to_a_task_for_each_round(self, staff, plan, first_round):
        link = admin_url("inspections_inspectiontask_add") + f"?plan_round={first_round.pk}"
        section = plan.sections.get()
        for page in (
            staff.get(admin_url("inspections_plansection_change", section.pk)),
            staff.get(admin_url("inspections_annualplan_change", plan.pk)),
        ):
            html = page.content.decode()
            assert link in html and "为本批次创建任务" in html

    def test_a_draft_plan_offers_no_link(self, staff, yuzhong, check_items):
        draft = plan_make(jurisdiction=yuzhong, check_items=check_items)
        section = draft.sections.get()
        html = staff.get(admin_url("inspections_plansection_change", section.pk)).content.decode()
        assert "为本批次创建任务" not in html

    def test_saved_as_the_plan_says(self, staff, first_round):
        response = staff.post(admin_url("inspections_inspectiontask_add"), task_form(first_round))
        assert response.status_code == 302, response.context["adminform"].form.errors
        task = InspectionTask.objects.get()
        assert task.ratios == first_round.section.ratios and task.team_size == 3


class TestBelowThePlanIsRefused:
    def test_a_ratio_below_the_plans_is_refused_on_its_field(self, staff, first_round):
        # The defect: 5 % saved without a word under a 10 % plan (7 firms drawn of 140, not 14).
        response = staff.post(
            admin_url("inspections_inspectiontask_add"), task_form(first_round, ratio_normal="5")
        )
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert errors["ratio_normal"] == [
            "计划规定一般对象抽查比例不低于 10%，本任务为 5%（N8、Y3.4）。"
        ]
        assert not InspectionTask.objects.exists()

    def test_a_higher_ratio_is_allowed(self, staff, first_round):
        # N8: more for high-risk targets — the plan sets a floor, not a ceiling.
        response = staff.post(
            admin_url("inspections_inspectiontask_add"), task_form(first_round, ratio_key="50")
        )
        assert response.status_code == 302
        assert InspectionTask.objects.get().ratio_key == 50

    def test_a_smaller_team_is_refused(self, staff, first_round):
        response = staff.post(
            admin_url("inspections_inspectiontask_add"), task_form(first_round, team_size="2")
        )
        errors = response.context["adminform"].form.errors
        assert errors["team_size"] == ["计划规定每组不少于 3 名执法人员，本任务为 2 名（N11）。"]

    def test_dates_outside_the_round_are_refused(self, staff, first_round):
        # Y3.4: the time of each inspection is what the published plan says; another time needs
        # a published revision first (10 working days ahead), not a task that quietly differs.
        response = staff.post(
            admin_url("inspections_inspectiontask_add"),
            task_form(first_round, starts_on="2026-03-25", ends_on="2026-05-15"),
        )
        errors = response.context["adminform"].form.errors
        assert "第 1 批检查时间为 2026-04-01 至 2026-04-30" in errors["starts_on"][0]
        assert "计划修订" in errors["starts_on"][0]
        assert "2026-04-30" in errors["ends_on"][0]
        assert not InspectionTask.objects.exists()

    def test_a_shorter_period_inside_the_round_is_allowed(self, staff, first_round):
        response = staff.post(
            admin_url("inspections_inspectiontask_add"),
            task_form(first_round, starts_on="2026-04-07", ends_on="2026-04-24"),
        )
        assert response.status_code == 302

    def test_the_services_refuse_it_whatever_the_path(self, first_round, staff_user):
        task = task_create_for_round(plan_round=first_round, user=staff_user)
        task.ratio_normal = Decimal(5)
        with pytest.raises(ServiceError, match="不低于 10%，本任务为 5%"):
            task_save(task=task, user=staff_user)
        # Changed behind the screens' back (a shell, an import): refused when submitted.
        InspectionTask.objects.filter(pk=task.pk).update(ratio_normal=5)
        with pytest.raises(ServiceError, match="不低于 10%，本任务为 5%"):
            task_submit(task=task, user=staff_user)
        task.refresh_from_db()
        assert task.status == InspectionTask.Status.DRAFT


# -- a period long past (issue 12 §11.4) -----------------------------------------------------------
# The unit head's approval (N10(1)) is where it is decided: a task whose period has ended, or is
# mostly gone, is approved only with that confirmed and a reason recorded (Y4(2): who, when, why).
# Announcing its draw asks again, on the page.
IN_TIME = dt.date(YEAR, 3, 25)  # before the first round (1–30 April)
MOSTLY_GONE = dt.date(YEAR, 4, 20)  # day 20 of 30
ENDED = dt.date(YEAR, 6, 1)
SSQ = {"kind": "ssq", "name": "双色球第2026062期"}


@pytest.fixture
def leader(leader_user) -> Client:
    return client_for(leader_user)


@pytest.fixture
def submitted(first_round, staff_user):
    with clock(IN_TIME):
        task = task_create_for_round(plan_round=first_round, user=staff_user)
        return task_submit(task=task, user=staff_user)


class TestAPeriodLongPast:
    def test_in_time_nothing_is_asked(self, submitted, leader_user):
        with clock(IN_TIME):
            assert task_period_warning(task=submitted) == ""
            task = task_decide(task=submitted, user=leader_user, approve=True)
        assert task.status == InspectionTask.Status.APPROVED and task.late_reason == ""

    @pytest.mark.parametrize(
        ("day", "says"),
        [
            (ENDED, "已于 2026-04-30 结束"),
            (MOSTLY_GONE, "已过去 19 天（共 30 天），只剩 11 天"),
        ],
    )
    def test_approval_needs_a_reason(self, submitted, leader_user, day, says):
        with clock(day):
            assert says in task_period_warning(task=submitted)
            with pytest.raises(ServiceError, match=says) as refused:
                task_decide(task=submitted, user=leader_user, approve=True)
            assert refused.value.code == "period_passed"
            task = task_decide(
                task=submitted, user=leader_user, approve=True, late_reason="补做上半年批次"
            )
        assert task.status == InspectionTask.Status.APPROVED
        assert task.late_reason == "补做上半年批次"

    def test_rejecting_needs_no_reason(self, submitted, leader_user):
        with clock(ENDED):
            task = task_decide(task=submitted, user=leader_user, approve=False, note="期间已过")
        assert task.status == InspectionTask.Status.REJECTED

    def test_the_add_page_warns_when_the_round_has_passed(self, staff, first_round):
        url = admin_url("inspections_inspectiontask_add")
        with clock(ENDED):
            html = staff.get(url, {"plan_round": first_round.pk}).content.decode()
        assert "已于 2026-04-30 结束" in html and "单位负责人批准时须确认并写明理由" in html
        with clock(IN_TIME):
            html = staff.get(url, {"plan_round": first_round.pk}).content.decode()
        assert "已于" not in html

    def test_the_decision_page_warns_and_asks_for_the_confirmation(self, leader, submitted):
        url = admin_url("inspections_task_decide", submitted.pk)
        with clock(ENDED):
            html = leader.get(url).content.decode()
            assert "已于 2026-04-30 结束" in html and "确认该任务的检查期间已过" in html
            response = leader.post(url, {"note": "同意", "_approve": "批准"})
            assert response.status_code == 200
            errors = response.context["form"].errors
            assert "confirm_period" in errors and "late_reason" in errors
            submitted.refresh_from_db()
            assert submitted.status == InspectionTask.Status.SUBMITTED
            response = leader.post(
                url,
                {
                    "note": "同意",
                    "confirm_period": "on",
                    "late_reason": "上半年未能开展，补做",
                    "_approve": "批准",
                },
            )
        assert response.status_code == 302
        submitted.refresh_from_db()
        assert submitted.status == InspectionTask.Status.APPROVED
        assert submitted.late_reason == "上半年未能开展，补做"
        # The task's page keeps the reason beside the approval, and warns whoever opens it.
        with clock(ENDED):
            html = leader.get(admin_url("inspections_inspectiontask_change", submitted.pk))
        html = html.content.decode()
        assert "上半年未能开展，补做" in html and "已于 2026-04-30 结束" in html

    def test_the_bulk_approval_asks_as_well(self, leader, submitted):
        changelist = admin_url("inspections_inspectiontask_changelist")
        chosen = {"action": "approve_selected", "_selected_action": [submitted.pk]}
        with clock(ENDED):
            page = leader.post(changelist, {**chosen, "index": 0}).content.decode()
            assert "已于 2026-04-30 结束" in page
            leader.post(changelist, {**chosen, "decide": "1"})
            submitted.refresh_from_db()
            assert submitted.status == InspectionTask.Status.SUBMITTED
            leader.post(
                changelist,
                {**chosen, "decide": "1", "confirm_period": "on", "late_reason": "补做"},
            )
        submitted.refresh_from_db()
        assert submitted.status == InspectionTask.Status.APPROVED

    def test_announcing_the_draw_asks_for_the_confirmation(
        self, staff, submitted, leader_user, institutions
    ):
        with clock(IN_TIME):  # approved in time; the draw is announced after the round
            task = task_decide(task=submitted, user=leader_user, approve=True)
        url = admin_url("inspections_draw_announce", task.pk)
        day = dt.date(YEAR, 5, 6)
        data = {
            "source-TOTAL_FORMS": "4",
            "source-INITIAL_FORMS": "0",
            "source-MIN_NUM_FORMS": "1",
            "source-MAX_NUM_FORMS": "4",
            "source-0-kind": SSQ["kind"],
            "source-0-name": SSQ["name"],
            "source-0-date": day.isoformat(),
            "missing_rule": "顺延至下一期",
            "_confirm": "1",
        }
        with clock(day):
            html = staff.get(url).content.decode()
            assert "已于 2026-04-30 结束" in html and "确认该任务的检查期间已过" in html
            response = staff.post(url, data)
            assert response.status_code == 200 and not Draw.objects.exists()
            assert "确认该任务的检查期间已过" in response.content.decode()
            response = staff.post(url, {**data, "confirm_period": "on"})
        assert response.status_code == 302
        assert Draw.objects.filter(task=task).exists()

    def test_an_immediate_draw_asks_as_well(
        self, staff, submitted, leader_user, institutions, inspectors
    ):
        with clock(ENDED):
            task = task_decide(task=submitted, user=leader_user, approve=True, late_reason="补做")
            url = admin_url("inspections_draw_immediate", task.pk)
            data = {"reason": "开奖推迟", "witness_1": "纪检组 李某", "witness_2": "法制科 王某"}
            html = staff.get(url).content.decode()
            assert "已于 2026-04-30 结束" in html and "批准时记录的理由：补做" in html
            assert staff.post(url, data).status_code == 200 and not Draw.objects.exists()
            response = staff.post(url, {**data, "confirm_period": "on"})
        assert response.status_code == 302 and Draw.objects.filter(task=task).exists()


# -- a note set into a sentence (issue 12 §11.6) ----------------------------------------------------
class TestARejectionNote:
    @pytest.mark.parametrize(
        ("note", "shown"),
        [
            ("范围不清。", "未批准：范围不清。修改后可重新提交审批。"),
            ("范围不清", "未批准：范围不清。修改后可重新提交审批。"),
            ("范围不清；  \n", "未批准：范围不清。修改后可重新提交审批。"),
            ("范围不清！", "未批准：范围不清！修改后可重新提交审批。"),
            ("", "未批准。修改后可重新提交审批。"),
        ],
        ids=["full stop", "none", "semicolon", "exclamation mark", "no note"],
    )
    def test_ends_in_one_full_stop(self, staff, submitted, leader_user, note, shown):
        with clock(IN_TIME):
            task_decide(task=submitted, user=leader_user, approve=False, note=note)
        html = staff.get(admin_url("inspections_inspectiontask_change", submitted.pk))
        html = html.content.decode()
        assert shown in html
        assert "。。" not in html and "；。" not in html
