"""The draw services (N10–N12, Y3.5), the execution: computed once from the announced sources, the
selection and team rows as the result, source values checked and nothing saved on an error, an
infeasible draw named, neighbours' inspectors borrowed, two stages; the published document, which
the command-line verifier confirms and in which tampering is caught."""

import json

import pytest

from core.exceptions import ServiceError
from inspections.models import Draw, PlanRound, TeamMember
from inspections.services.draws import draw_document, draw_execute, draw_inputs, draw_verify
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.models import Jurisdiction
from tests.factories import ConflictFactory, InspectorFactory, InstitutionFactory
from tests.inspections.conftest import NUMBERS_OF_VALUES as NUMBERS
from tests.inspections.conftest import SOURCES, VALUES, VERIFIER_OK, announce, mismatches
from tests.inspections.draw_checks import (
    all_selected_task,
    nothing_saved,
    run_verifier,
    write_document,
)
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


# -- execute ---------------------------------------------------------------------------------------
class TestExecute:
    def test_selection_and_team_rows_match_the_result(self, executed):
        result = executed.result
        selections = list(executed.selections.select_related("institution"))
        assert [(s.order, s.institution.credit_code, s.stratum, s.digest) for s in selections] == [
            (n, s["credit_code"], s["stratum"], s["digest"])
            for n, s in enumerate(result["selections"], start=1)
        ]
        for selection, team in zip(selections, result["teams"], strict=True):
            members = selection.team.select_related("inspector")
            assert [(m.position, m.inspector.certificate_number, m.borrowed) for m in members] == [
                (p, m["certificate"], m["borrowed"]) for p, m in enumerate(team["members"], 1)
            ]
        assert len(selections) == 4  # 20 % of 20
        assert executed.source_values == NUMBERS
        assert executed.status == Draw.Status.EXECUTED and executed.executed_at

    def test_the_result_is_what_the_verifier_computes(self, executed):
        assert executed.result == algorithm.compute_draw(draw_inputs(executed))
        assert draw_verify(executed) == []

    def test_values_as_numbers_or_text_give_the_same_draw(self, announced, staff_user):
        draw = draw_execute(draw=announced, values=[NUMBERS[0], 325671], user=staff_user)
        assert draw.source_values == NUMBERS
        assert draw.result == algorithm.compute_draw(draw_inputs(announced, NUMBERS))

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            (["3 9 14 22 27 31 8"], "全部 2 个随机源"),
            (["3 9 14 22 27 31", "3256.71"], "应有 7 个数，实际填写了 6 个"),
            (["3 9 14 22 27 31 8", "3256.71 3256.72"], "应有 1 个数，实际填写了 2 个"),
            (["3 9 14 22 27 31 x", "3256.71"], "第 1 个随机源.*只能填写非负整数"),
            (["3 9 14 22 27 31 -8", "3256.71"], "第 1 个随机源.*只能填写非负整数"),
            (["3 9 14 22 27 31 8", "+3256.71"], "第 2 个随机源.*须按公布的点位填写两位小数"),
            (["3 9 14 22 27 31 8", ""], "第 2 个随机源.*须按公布的点位填写两位小数"),
            (["3 9 14 22 27 31 8", [3256.71]], "第 2 个随机源.*须按公布的点位填写两位小数"),
            (["3 9 14 22 27 31 8", [True]], "第 2 个随机源.*须按公布的点位填写两位小数"),
            (["3 9 14 22 27 31 8", None], "第 2 个随机源.*须按公布的点位填写两位小数"),
        ],
    )
    def test_source_values_are_checked_and_nothing_is_saved_on_error(
        self, announced, staff_user, values, message
    ):
        with pytest.raises(ServiceError, match=message):
            draw_execute(draw=announced, values=values, user=staff_user)
        nothing_saved(announced)

    def test_executed_once(self, executed, staff_user):
        with pytest.raises(ServiceError, match="已经执行"):
            draw_execute(draw=executed, values=VALUES, user=staff_user)

    def test_an_infeasible_draw_names_the_institution_and_saves_nothing(
        self, plan, staff_user, leader_user, inspectors, institutions
    ):
        target = institutions[7]
        for inspector in inspectors[:5]:
            ConflictFactory(inspector=inspector, institution=target)
        task = all_selected_task(plan, staff_user, leader_user)
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        with pytest.raises(ServiceError) as caught:
            draw_execute(draw=draw, values=VALUES, user=staff_user)
        message = str(caught.value)
        assert caught.value.code == "infeasible"
        assert "未保存任何结果" in message
        assert f"{target.name}（{target.credit_code}）" in message
        assert (
            "可抽取执法人员 6 人（含相邻辖区），其中 5 人因利害关系回避，已配 1 人，每组需 2 人"
            in (message)
        )
        assert message.count("（91") + message.count("（31") == 1  # only that institution
        nothing_saved(draw)

    def test_borrowed_inspectors_when_the_local_pool_cannot_staff_a_team(
        self, plan, staff_user, leader_user, inspectors, institutions, jiangbei
    ):
        # N11, Y3.5: the same target, but the neighbour has inspectors to lend.
        target = institutions[7]
        for inspector in inspectors[:5]:
            ConflictFactory(inspector=inspector, institution=target)
        lenders = InspectorFactory.create_batch(2, jurisdiction=jiangbei)
        task = all_selected_task(plan, staff_user, leader_user)
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        draw = draw_execute(draw=draw, values=VALUES, user=staff_user)
        members = TeamMember.objects.filter(selection__draw=draw).select_related("inspector")
        borrowed = [m for m in members if m.borrowed]
        assert len(borrowed) == 1
        assert borrowed[0].selection.institution == target
        assert borrowed[0].inspector in lenders
        team = [m.inspector for m in members if m.selection.institution == target]
        assert set(team) == {inspectors[5], borrowed[0].inspector}
        assert draw_verify(draw) == []

    def test_two_stage_draws_jurisdictions_first(self, plan, staff_user, leader_user, inspectors):
        # N12: two jurisdictions in the task; one is drawn, its institutions are the targets.
        shapingba = Jurisdiction.objects.create(code="500106", name="沙坪坝区", level="county")
        InstitutionFactory.create_batch(10, jurisdiction=shapingba)
        plan_round = PlanRound.objects.get(section__plan=plan, number=1)
        task = task_create_for_round(plan_round=plan_round, user=staff_user)
        task.jurisdictions.add(shapingba)
        task.two_stage, task.jurisdictions_to_draw = True, 1
        task.save()
        task_submit(task=task, user=staff_user)
        task_decide(task=task, user=leader_user, approve=True)
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        assert draw.announcement["parameters"]["two_stage"] == {"jurisdictions_to_draw": 1}
        draw = draw_execute(draw=draw, values=VALUES, user=staff_user)
        stage = draw.result["stages"]["jurisdictions"]
        assert stage["pool"] == ["500103", "500106"]
        (drawn,) = [s["jurisdiction"] for s in stage["selections"]]
        assert {s.institution.jurisdiction.code for s in draw.selections.all()} == {drawn}
        assert draw_verify(draw) == []


# -- the published document and the command-line verifier ------------------------------------------
class TestPublishedDocument:
    def test_the_verifier_says_ok(self, executed, tmp_path):
        done = run_verifier(write_document(draw_document(executed), tmp_path / "draw.json"))
        assert (done.returncode, done.stdout.strip()) == (0, VERIFIER_OK), done.stderr

    def test_no_personal_data_in_the_document(self, executed, inspectors):
        text = json.dumps(draw_document(executed), ensure_ascii=False)
        assert "id_number" not in text and "phone" not in text

    def test_an_announced_draw_has_nothing_to_verify(self, announced, tmp_path):
        done = run_verifier(write_document(draw_document(announced), tmp_path / "draw.json"))
        assert done.returncode == 1
        assert done.stderr.splitlines() == [
            "该抽取已公告但尚未执行，没有可以核对的结果。",
            "this draw is announced but not executed yet: nothing to verify",
        ]
        assert draw_verify(announced) == ["尚未执行抽取。"]

    @pytest.mark.parametrize(
        ("name", "tamper"),
        [
            ("pool entry", lambda d: d["pools"]["targets"]["entries"][3].update(tier="key")),
            (
                "inspector entry",
                lambda d: d["pools"]["inspectors"]["entries"][0].update(local=False),
            ),
            ("conflict", lambda d: d["pools"]["conflicts"]["entries"].append([0, [0]])),
            ("source value", lambda d: d["sources"][1]["values"].__setitem__(0, 325672)),
            ("selection", lambda d: d["result"]["selections"][0].update(credit_code="X")),
            ("team member", lambda d: d["result"]["teams"][1]["members"].pop()),
            (
                "borrowed flag",
                lambda d: d["result"]["teams"][0]["members"][0].update(borrowed=True),
            ),
            ("digest", lambda d: d["result"]["selections"][2].update(digest="0" * 32)),
            ("parameter", lambda d: d["parameters"]["ratios"].update(normal="25")),
        ],
    )
    def test_tampering_is_caught(self, executed, tmp_path, name, tamper):
        doc = draw_document(executed)
        tamper(doc)
        done = run_verifier(write_document(doc, tmp_path / "draw.json"))
        assert done.returncode == 1, name
        assert mismatches(done.stdout), (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr

    def test_a_swapped_team_member_is_caught(self, executed, inspectors, tmp_path):
        doc = draw_document(executed)
        team = doc["result"]["teams"][0]
        current = {m["certificate"] for m in team["members"]}
        outsider = next(
            i.certificate_number for i in inspectors if i.certificate_number not in current
        )
        team["members"][0]["certificate"] = outsider
        done = run_verifier(write_document(doc, tmp_path / "draw.json"))
        assert done.returncode == 1
        ((zh, en),) = mismatches(done.stdout)
        assert zh.startswith("不一致：teams[0].members[0].certificate：重新计算得到")
        assert en.startswith("MISMATCH: teams[0].members[0].certificate: recomputed")
        assert outsider in zh and outsider in en
