"""Who may do what on the office's screens for plans, tasks and draws (SPEC §2–§3, N10): only a
leader approves, an auditor reads but changes nothing, nobody changes or deletes an executed draw,
a submitted task is frozen."""

import datetime as dt

import pytest

from inspections.models import InspectionTask, PlanRound
from inspections.services.tasks import task_create_for_round, task_submit
from tests.inspections.screens import (
    LAST_YEAR,
    admin_url,
    approved_task,
    executed_draw,
    published_plan,
)
from tests.inspections.screens import clients as clients  # a fixture
from tests.inspections.screens import world as world  # a fixture

pytestmark = pytest.mark.django_db


class TestWhoMayDoWhat:
    def test_staff_cannot_approve(self, world, clients, staff_user):
        plan = published_plan(
            world,
            staff_user,
            year=LAST_YEAR,
            rounds=[(dt.date(LAST_YEAR, 3, 1), dt.date(LAST_YEAR, 4, 30))],
        )
        task = task_create_for_round(plan_round=PlanRound.objects.get(section__plan=plan))
        task_submit(task=task, user=staff_user)
        decide = admin_url("inspections_task_decide", task.pk)
        assert clients.staff.get(decide).status_code == 403
        assert clients.staff.post(decide, {"_approve": "1"}).status_code == 403
        # Nor through the changelist action, which staff are not offered.
        changelist = admin_url("inspections_inspectiontask_changelist")
        actions = clients.staff.get(changelist).context["action_form"].fields["action"].choices
        assert "approve_selected" not in dict(actions)
        clients.staff.post(
            changelist,
            {"action": "approve_selected", "_selected_action": [task.pk], "decide": "1"},
        )
        task.refresh_from_db()
        assert task.status == InspectionTask.Status.SUBMITTED
        # The leader is offered it, and it asks for a note first.
        actions = clients.leader.get(changelist).context["action_form"].fields["action"].choices
        assert "approve_selected" in dict(actions)
        response = clients.leader.post(
            changelist, {"action": "approve_selected", "_selected_action": [task.pk], "index": 0}
        )
        assert "审批意见" in response.content.decode()
        clients.leader.post(
            changelist,
            {
                "action": "approve_selected",
                "_selected_action": [task.pk],
                "decide": "1",
                "confirm_period": "on",  # last year's round (issue 12 §11.4)
                "late_reason": "补做去年的批次",
            },
        )
        task.refresh_from_db()
        assert task.status == InspectionTask.Status.APPROVED

    def test_auditor_views_but_changes_nothing(self, world, clients, staff_user, leader_user):
        draw = executed_draw(world, staff_user, leader_user)
        task = draw.task
        plan = task.plan_round.section.plan
        auditor = clients.auditor
        for url in [
            admin_url("inspections_annualplan_changelist"),
            admin_url("inspections_annualplan_change", plan.pk),
            admin_url("inspections_inspectiontask_change", task.pk),
            admin_url("inspections_draw_changelist"),
            admin_url("inspections_draw_change", draw.pk),
        ]:
            response = auditor.get(url)
            assert response.status_code == 200, url
        page = auditor.get(admin_url("inspections_annualplan_change", plan.pk))
        assert page.context["has_change_permission"] is False
        assert admin_url("inspections_plan_revise", plan.pk) not in page.content.decode()
        for url in [
            admin_url("inspections_annualplan_change", plan.pk),
            admin_url("inspections_inspectiontask_change", task.pk),
            admin_url("inspections_plan_publish", plan.pk),
            admin_url("inspections_plan_revise", plan.pk),
            admin_url("inspections_task_submit", task.pk),
            admin_url("inspections_task_decide", task.pk),
            admin_url("inspections_draw_announce", task.pk),
            admin_url("inspections_draw_immediate", task.pk),
            admin_url("inspections_draw_redraw", draw.pk),
        ]:
            assert auditor.post(url, {}).status_code == 403, url
        assert auditor.get(admin_url("inspections_annualplan_add")).status_code == 403

    @pytest.mark.parametrize("role", ["staff", "leader", "auditor", "admin"])
    def test_nobody_changes_or_deletes_an_executed_draw(
        self, world, clients, staff_user, leader_user, role
    ):
        draw = executed_draw(world, staff_user, leader_user)
        before = (draw.status, draw.result, draw.source_values)
        client = getattr(clients, role)
        change = admin_url("inspections_draw_change", draw.pk)
        page = client.get(change)
        assert page.status_code == 200  # read-only detail
        assert page.context["has_change_permission"] is False
        assert page.context["has_delete_permission"] is False
        assert client.post(change, {"status": "announced", "number": 9}).status_code == 403
        delete = admin_url("inspections_draw_delete", draw.pk)
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        client.post(
            admin_url("inspections_draw_changelist"),
            {"action": "delete_selected", "_selected_action": [draw.pk], "post": "yes"},
        )
        assert client.get(admin_url("inspections_draw_add")).status_code == 403
        draw.refresh_from_db()
        assert (draw.status, draw.result, draw.source_values) == before

    def test_a_submitted_task_is_frozen(self, world, clients, staff_user, leader_user):
        task = approved_task(world, staff_user, leader_user)
        change = admin_url("inspections_inspectiontask_change", task.pk)
        assert clients.staff.get(change).context["has_change_permission"] is False
        assert clients.staff.post(change, {"name": "改名"}).status_code == 403
