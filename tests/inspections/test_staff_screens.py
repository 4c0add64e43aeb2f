"""The office's screens for plans, tasks and draws (SPEC §2–§3), through the test client as the real
roles: the whole flow plan → publish → task → submit → approve (leader) → announce (entropy shown)
→ execute → the detail with teams and the reasons behind each exclusion; revisions refused with
the computed dates (Y3.4); who may approve (N10); read-only roles; an executed draw that nobody can
change or delete; the immediate draw's two witnesses; the re-draw's second approver."""

import datetime as dt
import math
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import CalendarYear, Deadline
from inspections.admin.draws import draw_detail
from inspections.models import (
    AnnualPlan,
    Draw,
    InspectionTask,
    PlanRevision,
    PlanRound,
    PlanSection,
    RedrawRequest,
)
from inspections.services.draws import (
    DEFAULT_MISSING_RULE,
    draw_announce,
    draw_execute,
    draw_inputs,
)
from inspections.services.plans import plan_publish, revision_schedule
from inspections.services.sources import SOURCE_KINDS
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
from tools import verify_draw as algorithm

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# A plan published today for last year is always published after 31 January: late (Y3.4).
LAST_YEAR = TODAY.year - 1
# Announced now, drawn tomorrow at 21:15; executed once it is out (the evening clock below).
TOMORROW = TODAY + dt.timedelta(days=1)
SSQ = {"kind": "ssq", "name": "双色球第2026140期", "date": TOMORROW.isoformat()}


def after_the_draw():
    """The evening of SSQ's day: its numbers are out (within the sessions' two weeks)."""
    return clock(TOMORROW, 22)


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def client_for(user) -> Client:
    client = Client()
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
def clients(staff_user, leader_user, auditor_user, sysadmin_user):
    return SimpleNamespace(
        staff=client_for(staff_user),
        leader=client_for(leader_user),
        auditor=client_for(auditor_user),
        sysadmin=client_for(sysadmin_user),
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

    @pytest.mark.parametrize("role", ["staff", "leader", "auditor", "sysadmin"])
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


class TestDrawScreens:
    def test_immediate_draw_needs_a_reason_and_two_witnesses(
        self, world, clients, staff_user, leader_user
    ):
        task = approved_task(world, staff_user, leader_user)
        url = admin_url("inspections_draw_immediate", task.pk)
        reason = "开奖推迟且检查时间紧迫"
        confirmed = {"confirm_period": "on"}  # last year's round (issue 12 §11.4)
        for witnesses in [("纪检组 李某", ""), ("纪检组 李某", "纪检组 李某")]:
            response = clients.staff.post(
                url,
                {"reason": reason, "witness_1": witnesses[0], "witness_2": witnesses[1]}
                | confirmed,
            )
            assert response.status_code == 200
            assert response.context["form"].errors["witness_2"]
            assert not Draw.objects.exists()
        response = clients.staff.post(
            url,
            {"reason": reason, "witness_1": "纪检组 李某", "witness_2": "法制科 王某"} | confirmed,
        )
        draw = Draw.objects.get()
        assert response["Location"] == admin_url("inspections_draw_change", draw.pk)
        assert draw.is_executed and not draw.verifiable
        assert draw.witnesses == ["纪检组 李某", "法制科 王某"]
        html = clients.staff.get(admin_url("inspections_draw_change", draw.pk)).content.decode()
        assert "不可公开验证" in html and "法制科 王某" in html and reason in html

    def test_a_source_cannot_be_entered_before_it_exists(
        self, world, clients, staff_user, leader_user
    ):
        task = approved_task(world, staff_user, leader_user)
        draw = draw_announce(task=task, sources=[SSQ], user=staff_user)
        response = clients.staff.post(
            admin_url("inspections_draw_execute", draw.pk), {"source_1": "1 2 3 4 5 6 7"}
        )
        assert response.status_code == 200
        (error,) = response.context["form"].errors["source_1"]
        assert f"最早可于 {TOMORROW.isoformat()} 21:15 之后执行" in error
        draw.refresh_from_db()
        assert not draw.is_executed

    def test_a_past_source_cannot_be_announced(self, world, clients, staff_user, leader_user):
        task = approved_task(world, staff_user, leader_user)
        yesterday = {**SSQ, "date": (TODAY - dt.timedelta(days=1)).isoformat()}
        response = clients.staff.post(
            admin_url("inspections_draw_announce", task.pk),
            sources_data(yesterday, _confirm="1", confirm_period="on"),
        )
        assert response.status_code == 200 and not Draw.objects.exists()

    def test_execution_errors_are_shown_in_full(self, world, clients, staff_user, leader_user):
        task = approved_task(world, staff_user, leader_user)
        draw = draw_announce(task=task, sources=[SSQ], user=staff_user)
        with after_the_draw():
            response = clients.staff.post(
                admin_url("inspections_draw_execute", draw.pk), {"source_1": "1 2 3"}
            )
        assert "应有 7 个数，实际填写了 3 个" in response.content.decode()

    def test_redraw_needs_a_second_approver(self, world, clients, staff_user, leader_user):
        """The request is recorded and decided by another person (tests/inspections/
        test_redraw_requests.py has the notifications and the approvers' list)."""
        draw = executed_draw(world, staff_user, leader_user)
        reason = "抽取后发现名录有误"
        response = clients.staff.post(
            admin_url("inspections_draw_redraw", draw.pk),
            sources_data({**SSQ, "kind": "dlt", "name": "大乐透第26140期"}, reason=reason),
        )
        redraw_request = RedrawRequest.objects.get()
        decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
        assert response["Location"] == decide and Draw.objects.count() == 1  # nothing announced
        # The requester sees the request but cannot approve it (nor holds the right to).
        page = clients.staff.get(decide)
        assert page.status_code == 200 and "批准并公告重新抽取" not in page.content.decode()
        assert clients.staff.post(decide, {"_approve": "1"}).status_code == 403
        page = clients.leader.get(decide)
        assert reason in page.content.decode() and "大乐透第26140期" in page.content.decode()
        response = clients.leader.post(decide, {"_approve": "1"})
        new = Draw.objects.get(redraw_of=draw)
        assert response["Location"] == admin_url("inspections_draw_change", new.pk)
        assert new.redraw_requested_by == staff_user and new.redraw_approved_by == leader_user
        assert new.redraw_reason == reason
        draw.refresh_from_db()
        assert draw.superseded_at is not None
        # Decided once; an unknown request does not exist.
        response = clients.leader.post(decide, {"_approve": "1"})
        assert any("已批准" in m for m in messages_of(response))
        assert Draw.objects.count() == 2
        missing = admin_url("inspections_redrawrequest_decide", redraw_request.pk + 1)
        assert clients.leader.get(missing).status_code == 404


def test_exclusion_reasons_and_borrowed_members_are_labelled():
    """Every outcome of TeamBuilder's steps has its Chinese reason; borrowed members are marked."""
    targets = [
        {"credit_code": "C1", "name": "甲律师事务所", "tier": "key", "jurisdiction": "500103"}
    ]
    inspectors = [
        {"certificate": "A", "name": "张三", "jurisdiction": "500103", "local": True},
        {"certificate": "B", "name": "李四", "jurisdiction": "500105", "local": False},
    ]
    step = {"phase": 1, "pool": "local", "pick": 1, "digest": "00"}
    draw = Draw(
        announcement={
            "sources": [
                {"name": "双色球", "kind": "ssq", "date": "2026-01-01", "entropy_bits": 24}
            ],
            "pools": {
                "targets": {"entries": targets, "sha256": "t"},
                "inspectors": {"entries": inspectors, "sha256": "i"},
                "conflicts": {"entries": [], "sha256": "c"},
            },
            "strata": [{"code": "key", "size": 1, "planned": 1}],
            "parameters": {"team_size": 2},
        },
        source_values=[[1, 2, 3, 4, 5, 6, 7]],
        result={
            "strata": [{"code": "key", "size": 1, "count": 1}],
            "selections": [
                {"stratum": "key", "pick": 1, "digest": "AB", "remaining": 1, "credit_code": "C1"}
            ],
            "teams": [
                {
                    "credit_code": "C1",
                    "members": [{"certificate": "B", "borrowed": True}],
                    "excluded_for_conflict": ["A"],
                    "steps": [
                        {**step, "certificate": "A", "outcome": "conflict"},
                        {**step, "certificate": "A", "outcome": "load"},
                        {**step, "certificate": "A", "outcome": "already"},
                        {**step, "certificate": "B", "outcome": "accepted", "pool": "borrow"},
                    ],
                }
            ],
        },
    )
    row = draw_detail(draw)["targets"][0]
    assert [str(s["reason"]) for s in row["skipped"]] == [
        "利害关系回避",
        "已达工作量上限",
        "已在本组",
    ]
    assert row["members"] == [
        {"certificate": "B", "name": "李四", "jurisdiction": "500105", "borrowed": True}
    ]
    assert row["name"] == "甲律师事务所" and str(row["stratum"]) == "重点"
