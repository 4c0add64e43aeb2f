"""The office's screens for plans, tasks and draws (SPEC §2–§3), through the test client as the real
roles: the whole flow plan → publish → task → submit → approve (leader) → announce (entropy shown)
→ execute → the detail with teams and the reasons behind each exclusion; revisions refused with
the computed dates (Y3.4).

Who may do what: test_staff_permissions.py; the draw screens: test_draw_screens.py."""

import datetime as dt
import math

import pytest

from core.models import CalendarYear, Deadline
from inspections.models import AnnualPlan, Draw, InspectionTask, PlanRevision
from inspections.services.draws import draw_inputs
from inspections.services.plans import revision_schedule
from inspections.services.sources import SOURCE_KINDS
from tests.factories import sector
from tests.inspections.screens import (
    LAST_YEAR,
    SSQ,
    TODAY,
    admin_url,
    after_the_draw,
    messages_of,
    published_plan,
    sources_data,
)
from tests.inspections.screens import clients as clients  # a fixture
from tests.inspections.screens import world as world  # a fixture
from tools import verify_draw as algorithm

pytestmark = pytest.mark.django_db


def values_with_a_recusal(draw: Draw) -> list[int]:
    """Double-colour-ball numbers for which some target's ranking meets the recused inspector
    before its team is full, so that the detail has a conflict to explain."""
    for blue in range(1, 17):
        for first in range(1, 28):
            values = [*range(first, first + 6), blue]
            result = algorithm.compute_draw(draw_inputs(draw, [values]))
            steps = [s for team in result["teams"] for s in team["steps"]]
            if any(s["outcome"] == "conflict" for s in steps):
                return values
    raise AssertionError("no numbers give a recusal")


class TestFullFlow:
    def test_plan_to_executed_draw_through_the_screens(self, world, clients, staff_user):
        staff, leader = clients.staff, clients.leader

        # 1. A plan with one sector, added inline: every item in force is chosen (N9).
        response = staff.post(
            admin_url("inspections_annualplan_add"),
            {
                "jurisdiction": world.jurisdiction.pk,
                "year": LAST_YEAR,
                "title": f"渝中区 {LAST_YEAR} 年度抽查计划",
                "sections-TOTAL_FORMS": "1",
                "sections-INITIAL_FORMS": "0",
                "sections-MIN_NUM_FORMS": "0",
                "sections-MAX_NUM_FORMS": "1000",
                "sections-0-sector": sector("lawyer").pk,
                "sections-0-ratio_key": "20",
                "sections-0-ratio_normal": "5",
                "sections-0-ratio_reduced": "2",
                "sections-0-team_size": "2",
                "_continue": "1",
            },
        )
        assert response.status_code == 302
        plan = AnnualPlan.objects.get(year=LAST_YEAR)
        # Y3.4: the plan's 31 January deadline starts with it, the office's to meet.
        deadline = Deadline.objects.get(kind=Deadline.Kind.PLAN, subject_id=plan.pk)
        assert (deadline.due_on, deadline.responsible) == (dt.date(LAST_YEAR, 1, 31), staff_user)
        section = plan.sections.get()
        assert set(section.check_items.all()) == set(world.items)
        assert any("须改正后才能公布" in m for m in messages_of(response))

        # The plan page shows plan_check's errors and the coverage figures (N8).
        page = staff.get(admin_url("inspections_annualplan_change", plan.pk))
        html = page.content.decode()
        assert "尚未安排抽查批次和时间" in html
        assert page.context["coverage"][0]["institutions"] == 40

        # 2. Two rounds on the sector's page; the check passes.
        response = staff.post(
            admin_url("inspections_plansection_change", section.pk),
            {
                "check_items": [i.pk for i in world.items],
                "target_scope": "辖区内全部执业机构",
                "ratio_key": "20",
                "ratio_normal": "5",
                "ratio_reduced": "2",
                "team_size": "2",
                "methods": ["on_site", "phone"],
                "rounds-TOTAL_FORMS": "2",
                "rounds-INITIAL_FORMS": "0",
                "rounds-MIN_NUM_FORMS": "0",
                "rounds-MAX_NUM_FORMS": "1000",
                "rounds-0-number": "1",
                "rounds-0-starts_on": f"{LAST_YEAR}-03-01",
                "rounds-0-ends_on": f"{LAST_YEAR}-04-30",
                "rounds-1-number": "2",
                "rounds-1-starts_on": f"{LAST_YEAR}-10-08",
                "rounds-1-ends_on": f"{LAST_YEAR}-11-30",
                "_save": "1",
            },
        )
        assert response.status_code == 302, response.context and response.context["errors"]
        assert response["Location"] == admin_url("inspections_annualplan_change", plan.pk)
        assert "计划检查通过。" in messages_of(response)

        # 3. Publish: after 31 January, published and shown as late (Y3.4).
        assert staff.get(admin_url("inspections_plan_publish", plan.pk)).status_code == 200
        response = staff.post(admin_url("inspections_plan_publish", plan.pk), follow=True)
        plan.refresh_from_db()
        assert plan.is_published and plan.is_late
        assert any("逾期" in m for m in messages_of(response))
        changelist = staff.get(admin_url("inspections_annualplan_changelist")).content.decode()
        assert "逾期（应于" in changelist

        # 4. A task for the first round; the office submits it.
        first_round = section.rounds.get(number=1)
        response = staff.post(
            admin_url("inspections_task_from_round"), {"plan_round": first_round.pk, "name": ""}
        )
        task = InspectionTask.objects.get(plan_round=first_round)
        assert response["Location"] == admin_url("inspections_inspectiontask_change", task.pk)
        staff.post(admin_url("inspections_task_submit", task.pk))
        task.refresh_from_db()
        assert task.status == InspectionTask.Status.SUBMITTED
        assert task.applied_by == staff_user

        # 5. The leader approves it with a note (N10(1)); last year's round has passed, which the
        # page says and the approval confirms with a reason (issue 12 §11.4).
        page = leader.get(admin_url("inspections_task_decide", task.pk))
        assert page.status_code == 200 and "已于" in page.content.decode()
        leader.post(
            admin_url("inspections_task_decide", task.pk),
            {
                "note": "同意。",
                "confirm_period": "on",
                "late_reason": "补做去年的批次",
                "_approve": "批准",
            },
        )
        task.refresh_from_db()
        assert task.status == InspectionTask.Status.APPROVED
        assert (task.approval_note, task.late_reason) == ("同意。", "补做去年的批次")

        # 6. Announce: the entropy estimate is shown before confirming (RFC 3797 §5).
        announce = admin_url("inspections_draw_announce", task.pk)
        assert staff.get(announce).status_code == 200
        response = staff.post(announce, sources_data(SSQ, _preview="1"))
        assert response.status_code == 200
        estimate = response.context["estimate"]
        picks = estimate["picks"]
        assert estimate["pool"] == 40 and picks >= 2  # N8: at least 5 %
        assert estimate["sources_bits"] == round(SOURCE_KINDS["ssq"]["bits"], 1)
        assert estimate["needed_bits"] == round(math.log2(math.comb(40, picks)), 1)
        html = response.content.decode()
        assert "随机源熵估计" in html and str(estimate["needed_bits"]) in html
        assert not Draw.objects.exists()
        response = staff.post(announce, sources_data(SSQ, _confirm="1", confirm_period="on"))
        draw = Draw.objects.get(task=task)
        assert response["Location"] == admin_url("inspections_draw_change", draw.pk)
        assert draw.announcement["entropy"]["sources_bits"] == estimate["sources_bits"]

        # 7. Execute: one field per announced source, labelled with its name and date.
        execute = admin_url("inspections_draw_execute", draw.pk)
        html = staff.get(execute).content.decode()
        assert SSQ["name"] in html and SSQ["date"] in html
        values = values_with_a_recusal(draw)
        with after_the_draw():
            response = staff.post(execute, {"source_1": " ".join(map(str, values))})
        assert response["Location"] == admin_url("inspections_draw_change", draw.pk)
        draw.refresh_from_db()
        assert draw.is_executed and draw.source_values == [values]

        # 8. The detail: targets in order with stratum and digest, teams, and why each skipped
        # candidate was skipped.
        response = staff.get(admin_url("inspections_draw_change", draw.pk))
        html = response.content.decode()
        names = {f.credit_code: f.name for f in world.firms}
        inspectors = {i.certificate_number: i.name for i in world.inspectors}
        for selection, team in zip(draw.result["selections"], draw.result["teams"], strict=True):
            assert names[selection["credit_code"]] in html
            assert selection["digest"] in html
            for member in team["members"]:
                assert inspectors[member["certificate"]] in html
                assert member["certificate"] in html
        rows = response.context["targets"]
        assert [r["credit_code"] for r in rows] == [
            s["credit_code"] for s in draw.result["selections"]
        ]
        assert rows[0]["stratum"] in ("重点", "一般", "降低频次")
        recusals = [s for r in rows for s in r["skipped"] if s["outcome"] == "conflict"]
        assert recusals and {s["name"] for s in recusals} == {world.recused.name}
        assert "利害关系回避" in html
        assert f"/draws/{draw.pk}/" in html and f"/draws/{draw.pk}.json" in html


class TestPlanRevisions:
    @pytest.fixture(autouse=True)
    def calendar(self):
        # Working days are counted on the calendar (SPEC §6); weekdays only where none is seeded.
        for year in (TODAY.year, TODAY.year + 1):
            CalendarYear.objects.update_or_create(year=year, defaults={"complete": True})

    @pytest.fixture
    def plan(self, world, staff_user):
        rounds = [
            (dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 1, 31)),
            (dt.date(TODAY.year, 12, 1), dt.date(TODAY.year, 12, 31)),
        ]
        return published_plan(world, staff_user, year=TODAY.year, rounds=rounds)

    def revise(self, client, plan, affected: dt.date):
        return client.post(
            admin_url("inspections_plan_revise", plan.pk),
            {
                "reason": "新增一批检查",
                "summary": "增加第 3 批",
                "affected_starts_on": affected.isoformat(),
                "changed_on": TODAY.isoformat(),
            },
        )

    def test_refused_with_the_computed_dates(self, clients, plan):
        affected = TODAY + dt.timedelta(days=3)  # fewer than 10 working days' notice
        response = self.revise(clients.staff, plan, affected)
        assert response.status_code == 200
        explain = revision_schedule(changed_on=TODAY, affected_starts_on=affected).explain()
        assert explain in response.content.decode()
        assert any("无法按规定发布本次修订" in m for m in messages_of(response))
        assert not PlanRevision.objects.exists()

    def test_registered_then_published(self, clients, plan):
        section = plan.sections.get()
        change_section = admin_url("inspections_plansection_change", section.pk)
        # Published and no revision open: the sections are read-only.
        assert clients.staff.get(change_section).context["has_change_permission"] is False
        assert clients.staff.post(change_section, {}).status_code == 403

        affected = TODAY + dt.timedelta(days=60)
        response = self.revise(clients.staff, plan, affected)
        assert response.status_code == 302
        revision = plan.revisions.get()
        explain = revision_schedule(changed_on=TODAY, affected_starts_on=affected).explain()
        assert any(explain in m for m in messages_of(response))
        assert clients.staff.get(change_section).context["has_change_permission"] is True

        page = clients.staff.get(admin_url("inspections_plan_revision_publish", plan.pk))
        assert explain in page.content.decode()
        clients.staff.post(admin_url("inspections_plan_revision_publish", plan.pk))
        revision.refresh_from_db()
        assert revision.published_at is not None and revision.snapshot["sections"]
        assert clients.staff.get(change_section).context["has_change_permission"] is False
