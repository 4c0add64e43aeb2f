"""The draw services (N10–N12, Y3.3, Y3.5): announce freezes the pools, execute computes once from
the announced sources, the published document verifies, tampering does not; immediate draws and
re-draws; the database guards (PostgreSQL) and two simultaneous executions."""

import copy
import datetime as dt
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from core.exceptions import ServiceError
from inspections.models import Draw, DrawSelection, InspectionTask, PlanRound, TeamMember
from inspections.services.draws import (
    draw_announce,
    draw_document,
    draw_execute,
    draw_immediate,
    draw_inputs,
    draw_redraw,
    draw_verify,
)
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.models import Inspector, Institution, Jurisdiction, SupervisionRecord
from tests.factories import (
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    PractitionerFactory,
    UserFactory,
    sector,
)
from tests.inspections.conftest import (
    EXECUTE_HOUR,
    REDRAW_DAY,
    REDRAW_SOURCES,
    SOURCES,
    VALUES,
    VERIFIER_OK,
    announce,
    clock,
    mismatches,
    task_approve,
)
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
NUMBERS = [[3, 9, 14, 22, 27, 31, 8], [325671]]
START = dt.date(2026, 4, 1)  # the first round, the day eligibility and conflicts are judged on


def run_verifier(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(path)], capture_output=True, text=True, timeout=60
    )


def write_document(doc: dict, path: Path) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def nothing_saved(draw: Draw) -> None:
    draw.refresh_from_db()
    assert draw.status == Draw.Status.ANNOUNCED
    assert draw.result is None and draw.source_values is None and draw.executed_at is None
    assert not DrawSelection.objects.filter(draw=draw).exists()
    assert not TeamMember.objects.filter(selection__draw=draw).exists()


def all_selected_task(plan, staff_user, leader_user):
    """A task of the first round that inspects every institution (ratio 100 %)."""
    plan_round = PlanRound.objects.get(section__plan=plan, number=1)
    return task_approve(
        plan_round=plan_round, applicant=staff_user, leader=leader_user, ratio_normal=100
    )


def by_code(draw: Draw) -> dict[str, dict]:
    result = draw.result
    return {t["credit_code"]: t for t in result["teams"]}


# -- announce ----------------------------------------------------------------------------------------
class TestAnnounce:
    def test_the_announcement_names_sources_pools_and_hashes_but_no_values(self, announced):
        doc = announced.announcement
        assert doc["format"] == algorithm.FORMAT
        assert doc["algorithm"]["version"] == algorithm.ALGORITHM["version"]
        assert [s["name"] for s in doc["sources"]] == [s["name"] for s in SOURCES]
        assert [s["count"] for s in doc["sources"]] == [7, 1]
        assert all("values" not in s for s in doc["sources"])
        for name in ("targets", "inspectors", "conflicts"):
            pool = doc["pools"][name]
            assert pool["sha256"] == algorithm.sha256(pool["entries"])
        assert doc["parameters"] == {
            "team_size": 2,
            "ratios": {"key": "20", "normal": "20", "reduced": "5"},
            "minimum_percent": "5",
            "two_stage": None,
        }
        assert doc["strata"][1] == {"code": "normal", "size": 20, "planned": 4}
        assert announced.status == Draw.Status.ANNOUNCED and announced.verifiable

    def test_the_pools_are_frozen_at_the_announcement(
        self, announced, staff_user, yuzhong, institutions, inspectors
    ):
        frozen = copy.deepcopy(announced.announcement)
        expected = algorithm.compute_draw(draw_inputs(announced, NUMBERS))
        # After the announcement: a new institution, a new inspector, and conflicts between every
        # inspector and every institution — which would make any recomputed draw infeasible.
        newcomer = InstitutionFactory(jurisdiction=yuzhong)
        InspectorFactory(jurisdiction=yuzhong)
        for inspector in inspectors:
            for institution in institutions:
                ConflictFactory(inspector=inspector, institution=institution)

        draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        draw.refresh_from_db()
        assert draw.announcement == frozen
        assert draw.result == expected
        codes = [t["credit_code"] for t in draw.announcement["pools"]["targets"]["entries"]]
        assert newcomer.credit_code not in codes
        assert draw_verify(draw) == []

    def test_the_rows_point_at_what_was_announced_after_registry_corrections(
        self, announced, staff_user, institutions, inspectors
    ):
        """A credit code or certificate number corrected between the announcement and the draw:
        the selections and teams still name the announced institutions and inspectors."""
        entries = announced.announcement["pools"]
        # Two firms' credit codes were entered the wrong way round: corrected by swapping them.
        first, second = institutions[0], institutions[1]
        Institution.objects.filter(pk=first.pk).update(credit_code="TEMP")
        Institution.objects.filter(pk=second.pk).update(credit_code=first.credit_code)
        Institution.objects.filter(pk=first.pk).update(credit_code=second.credit_code)
        renumbered = {}
        for inspector in inspectors:
            renumbered[inspector.certificate_number] = inspector.pk
            Inspector.objects.filter(pk=inspector.pk).update(
                certificate_number=f"X{inspector.certificate_number[1:]}"
            )
        firm = {e["credit_code"]: i for i, e in enumerate(entries["targets"]["entries"])}
        draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        for row, selection in zip(
            draw.selections.order_by("order"), draw.result["selections"], strict=True
        ):
            assert (
                row.institution_id == announced.pool_ids["targets"][firm[selection["credit_code"]]]
            )
        members = {
            (m.selection.institution_id, m.inspector_id)
            for m in TeamMember.objects.filter(selection__draw=draw).select_related("selection")
        }
        expected = {
            (announced.pool_ids["targets"][firm[team["credit_code"]]], renumbered[m["certificate"]])
            for team in draw.result["teams"]
            for m in team["members"]
        }
        assert members == expected and len(members) == 8

    def test_only_practising_institutions_of_the_sector_and_the_tasks_jurisdictions(
        self, task, staff_user, yuzhong, jiangbei, institutions
    ):
        suspended = InstitutionFactory(jurisdiction=yuzhong, status=Institution.Status.SUSPENDED)
        revoked = InstitutionFactory(jurisdiction=yuzhong, status=Institution.Status.REVOKED)
        notary = InstitutionFactory(jurisdiction=yuzhong, sector=sector("notary"))
        neighbours = InstitutionFactory(jurisdiction=jiangbei)
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        codes = [t["credit_code"] for t in draw.announcement["pools"]["targets"]["entries"]]
        assert codes == sorted(i.credit_code for i in institutions)
        for outsider in (suspended, revoked, notary, neighbours):
            assert outsider.credit_code not in codes

    def test_only_eligible_inspectors_and_the_neighbours_eligible_ones(
        self, task, staff_user, yuzhong, jiangbei, inspectors
    ):
        # Y3.3: valid certificate on the task's start date, active, bureau staff, the sector.
        make = InspectorFactory
        make(jurisdiction=yuzhong, name="过期", certificate_valid_to=START - dt.timedelta(days=1))
        make(jurisdiction=yuzhong, name="当日到期", certificate_valid_to=START)
        make(
            jurisdiction=yuzhong, name="未生效", certificate_valid_from=START + dt.timedelta(days=1)
        )
        make(jurisdiction=yuzhong, name="暂停", status=Inspector.Status.SUSPENDED)
        make(jurisdiction=yuzhong, name="调离", status=Inspector.Status.LEFT)
        make(jurisdiction=yuzhong, name="协会", staff_type=Inspector.StaffType.ASSOCIATION)
        make(jurisdiction=yuzhong, name="公证", sectors=[sector("notary")])
        make(jurisdiction=jiangbei, name="江北")
        make(jurisdiction=jiangbei, name="江北协会", staff_type=Inspector.StaffType.ASSOCIATION)
        make(jurisdiction=jiangbei, name="江北过期", certificate_valid_to=dt.date(2026, 1, 1))
        shapingba = Jurisdiction.objects.create(code="500106", name="沙坪坝区", level="county")
        make(jurisdiction=shapingba, name="不相邻")

        draw = announce(task=task, sources=SOURCES, user=staff_user)
        entries = draw.announcement["pools"]["inspectors"]["entries"]
        pool = {e["name"]: e["local"] for e in entries}
        assert pool == {i.name: True for i in inspectors} | {"当日到期": True, "江北": False}
        assert [e["certificate"] for e in entries] == sorted(e["certificate"] for e in entries)
        assert {e["jurisdiction"] for e in entries if not e["local"]} == {"500105"}

    def test_conflicts_in_force_bind_the_institution_and_the_practitioners_institution(
        self, plan, staff_user, leader_user, inspectors, institutions
    ):
        a, b, c, d = institutions[:4]
        x, y, z, w = inspectors[:4]
        moved = PractitionerFactory(institution=b)  # recorded at a, now practising at b
        ConflictFactory(inspector=x, institution=a, practitioner=moved)
        ConflictFactory(inspector=y, institution=c, practitioner=PractitionerFactory(institution=c))
        ConflictFactory(inspector=z, institution=d, valid_to=START - dt.timedelta(days=1))
        ConflictFactory(inspector=w, institution=d, valid_from=START + dt.timedelta(days=1))
        ConflictFactory(inspector=w, institution=c, valid_from=START, valid_to=START)

        task = all_selected_task(plan, staff_user, leader_user)
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        pools = draw.announcement["pools"]
        t = {e["credit_code"]: i for i, e in enumerate(pools["targets"]["entries"])}
        i = {e["certificate"]: n for n, e in enumerate(pools["inspectors"]["entries"])}
        expected = {
            t[a.credit_code]: [i[x.certificate_number]],
            t[b.credit_code]: [i[x.certificate_number]],
            t[c.credit_code]: sorted([i[y.certificate_number], i[w.certificate_number]]),
        }
        assert pools["conflicts"]["entries"] == [[k, v] for k, v in sorted(expected.items())]

        draw = draw_execute(draw=draw, values=VALUES, user=staff_user)
        teams = by_code(draw)
        for institution, recused in ((a, {x}), (b, {x}), (c, {y, w})):
            team = teams[institution.credit_code]
            certificates = {r.certificate_number for r in recused}
            assert set(team["excluded_for_conflict"]) == certificates
            assert not {m["certificate"] for m in team["members"]} & certificates

    @pytest.mark.postgres
    def test_postgresql_groups_the_conflicts_exactly_as_the_portable_path(self, yuzhong):
        """On PostgreSQL the conflicts are grouped by the database (national scale, see
        docs/performance.md); SQLite (the quick start) takes the portable path. Same entries."""
        import random

        from inspections.services import draws

        rng = random.Random(7)
        firms = InstitutionFactory.create_batch(30, jurisdiction=yuzhong)
        people = InspectorFactory.create_batch(12, jurisdiction=yuzhong)
        lawyers = [PractitionerFactory(institution=rng.choice(firms)) for _ in range(10)]
        pairs = set()
        for _ in range(80):
            inspector, firm = rng.choice(people), rng.choice(firms)
            lawyer = rng.choice(lawyers + [None] * 10)
            # One conflict per inspector and institution, or per inspector and practitioner.
            pair = (inspector.pk, "p", lawyer.pk) if lawyer else (inspector.pk, "i", firm.pk)
            if pair in pairs:
                continue
            pairs.add(pair)
            valid_from, valid_to = rng.choice(
                [
                    (None, None),
                    (START, START),
                    (START + dt.timedelta(days=1), None),
                    (None, START - dt.timedelta(days=1)),
                    (START - dt.timedelta(days=9), None),
                ]
            )
            ConflictFactory(
                inspector=inspector,
                institution=firm,
                practitioner=lawyer,
                valid_from=valid_from,
                valid_to=valid_to,
            )
        # Pools in a shuffled order, and leaving some out: indices are positions in the pools.
        target_ids = rng.sample([f.pk for f in firms], 25)
        inspector_ids = rng.sample([p.pk for p in people], 10)
        with transaction.atomic():
            in_sql = draws._conflicts_in_force_sql(target_ids, inspector_ids, START)
        portable = draws._conflicts_in_force(target_ids, inspector_ids, START)
        assert in_sql == portable
        assert len(portable) > 5

    def test_risk_tiers_are_refreshed_into_the_strata(self, task, staff_user, institutions):
        SupervisionRecord.objects.create(
            institution=institutions[0], kind=SupervisionRecord.Kind.PENALTY, date=START
        )
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        assert {s["code"]: s["size"] for s in draw.announcement["strata"]} == {
            "key": 1,
            "normal": 19,
            "reduced": 0,
        }

    def test_special_and_case_tasks_are_never_drawn(self, plan, staff_user, yuzhong):
        for kind in (InspectionTask.Kind.SPECIAL, InspectionTask.Kind.CASE):
            task = InspectionTask.objects.create(
                name=f"{kind} 检查",
                kind=kind,
                sector=sector("lawyer"),
                starts_on=START,
                ends_on=START,
                status=InspectionTask.Status.APPROVED,
            )
            task.jurisdictions.set([yuzhong])
            with pytest.raises(ServiceError, match="只有双随机抽查任务"):
                announce(task=task, sources=SOURCES, user=staff_user)
        assert not Draw.objects.exists()

    def test_an_unapproved_task_cannot_be_drawn(self, plan_round, staff_user, leader_user):
        task = task_create_for_round(plan_round=plan_round, user=staff_user)
        with pytest.raises(ServiceError, match="N10"):
            announce(task=task, sources=SOURCES, user=staff_user)
        task_submit(task=task, user=staff_user)
        with pytest.raises(ServiceError, match="N10"):
            announce(task=task, sources=SOURCES, user=staff_user)
        task_decide(task=task, user=leader_user, approve=False, note="范围不清")
        with pytest.raises(ServiceError, match="N10"):
            announce(task=task, sources=SOURCES, user=staff_user)
        assert not Draw.objects.exists()

    def test_sources_must_be_named_and_dated(self, task, staff_user):
        with pytest.raises(ServiceError, match="至少要公告一个"):
            announce(task=task, sources=[], user=staff_user)
        with pytest.raises(ServiceError, match="第 2 个随机源须写明名称和日期"):
            announce(task=task, sources=[SOURCES[0], {"name": "指数"}], user=staff_user)

    def test_sources_are_future_dated_well_formed_and_distinct(self, task, staff_user):
        """RFC 3797 §3: a value known when the pools are frozen decides nothing."""
        known = {**SOURCES[1], "date": "2026-03-30"}  # the day before DRAW_DAY
        with pytest.raises(
            ServiceError,
            match="第 2 个随机源（上证综合指数.*于 2026-03-30 15:00 开奖，不晚于公告时间",
        ):
            announce(task=task, sources=[SOURCES[0], known], user=staff_user)
        with pytest.raises(ServiceError, match="第 1 个随机源的日期须写成 YYYY-MM-DD"):
            announce(task=task, sources=[{**SOURCES[0], "date": "31/3/2026"}], user=staff_user)
        with pytest.raises(ServiceError, match="同一随机源不能公告两次"):
            announce(task=task, sources=[SOURCES[0], SOURCES[0]], user=staff_user)
        assert not Draw.objects.exists()

    def test_no_execution_before_the_sources_exist(self, task, staff_user):
        later = {**SOURCES[1], "date": "2026-04-02"}
        draw = announce(task=task, sources=[SOURCES[0], later], user=staff_user)
        with pytest.raises(ServiceError, match="第 2 个随机源.*于 2026-04-02 15:00 开奖，尚未产生"):
            draw_execute(draw=draw, values=VALUES, user=staff_user)
        nothing_saved(draw)
        with clock(dt.date(2026, 4, 2), 15, 30):
            assert draw_execute(draw=draw, values=VALUES, user=staff_user).is_executed

    def test_one_announcement_per_task(self, announced, task, staff_user):
        with pytest.raises(ServiceError, match="已经公告过"):
            announce(task=task, sources=SOURCES, user=staff_user)
        # The database says so too: one live draw per task.
        with pytest.raises(IntegrityError), transaction.atomic():
            Draw.objects.create(
                task=task,
                number=2,
                announcement={},
                announced_at=timezone.now(),
                announced_by=staff_user,
            )


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


# -- immediate draws and re-draws --------------------------------------------------------------------
class TestImmediate:
    @pytest.mark.parametrize(
        ("reason", "witnesses", "message"),
        [
            ("", ["张三", "李四"], "须记录理由"),
            ("   ", ["张三", "李四"], "须记录理由"),
            ("开奖推迟，检查不能延期", ["张三"], "两名不同的见证人"),
            ("开奖推迟，检查不能延期", ["张三", "张三 "], "两名不同的见证人"),
            ("开奖推迟，检查不能延期", ["张三", "  "], "两名不同的见证人"),
        ],
    )
    def test_a_reason_and_two_distinct_witnesses_are_required(
        self, task, staff_user, reason, witnesses, message
    ):
        with pytest.raises(ServiceError, match=message):
            draw_immediate(task=task, reason=reason, witnesses=witnesses, user=staff_user)
        assert not Draw.objects.exists()

    def test_an_immediate_draw_is_labelled_not_publicly_verifiable(self, task, staff_user):
        draw = draw_immediate(
            task=task, reason="开奖推迟，检查不能延期", witnesses=["张三", "李四"], user=staff_user
        )
        draw.refresh_from_db()
        assert draw.verifiable is False
        assert draw.status == Draw.Status.EXECUTED
        assert draw.witnesses == ["张三", "李四"]
        assert draw.immediate_reason == "开奖推迟，检查不能延期"
        (source,) = draw.announcement["sources"]
        assert source["kind"] == "server"
        assert len(draw.source_values[0]) == 8
        doc = draw_document(draw)
        assert doc["verifiable"] is False
        assert doc["immediate"] == {
            "reason": "开奖推迟，检查不能延期",
            "witnesses": ["张三", "李四"],
        }
        # Recomputable from the stored seed, though nobody could check the seed in advance.
        assert draw_verify(draw) == []
        assert draw.selections.count() == 4
        with pytest.raises(ServiceError, match="已经公告过"):
            draw_immediate(task=task, reason="再来一次", witnesses=["甲", "乙"], user=staff_user)


class TestRedraw:
    def redraw(self, draw, requested_by, approved_by, reason="抽中机构已注销，需重新抽取"):
        return draw_redraw(
            draw=draw,
            reason=reason,
            requested_by=requested_by,
            approved_by=approved_by,
            sources=REDRAW_SOURCES,
        )

    def test_a_reason_and_a_second_approver_with_the_permission(
        self, executed, staff_user, leader_user
    ):
        other_staff = UserFactory(username="staff2")
        other_staff.groups.set(staff_user.groups.all())
        with pytest.raises(ServiceError, match="须说明理由"):
            self.redraw(executed, staff_user, leader_user, reason=" ")
        with pytest.raises(ServiceError, match="另一人批准"):
            self.redraw(executed, staff_user, None)
        with pytest.raises(ServiceError, match="另一人批准"):
            self.redraw(executed, leader_user, leader_user)
        with pytest.raises(ServiceError, match="单位负责人"):
            self.redraw(executed, staff_user, other_staff)
        executed.refresh_from_db()
        assert executed.superseded_at is None
        assert Draw.objects.count() == 1

    def test_the_earlier_draw_stays_published(self, executed, staff_user, leader_user, tmp_path):
        before = copy.deepcopy(executed.result)
        rows = list(DrawSelection.objects.filter(draw=executed).values_list("id", flat=True))
        new = self.redraw(executed, staff_user, leader_user)

        executed.refresh_from_db()
        assert executed.superseded_at is not None
        assert executed.status == Draw.Status.EXECUTED and executed.result == before
        assert list(executed.selections.values_list("id", flat=True)) == rows
        assert draw_verify(executed) == []
        assert draw_document(executed)["superseded_at"]

        assert new.status == Draw.Status.ANNOUNCED and new.number == 2
        assert new.redraw_of == executed
        assert new.redraw_reason == "抽中机构已注销，需重新抽取"
        assert (new.redraw_requested_by, new.redraw_approved_by) == (staff_user, leader_user)
        assert executed.task.current_draw() == new
        assert draw_document(new)["redraw_of"] == executed.pk

        with clock(REDRAW_DAY, EXECUTE_HOUR):
            new = draw_execute(draw=new, values=["1 2 3 4 5 6 7", "0.01"], user=staff_user)
        assert draw_verify(new) == []
        assert new.result != before
        done = run_verifier(write_document(draw_document(executed), tmp_path / "old.json"))
        assert done.stdout.strip() == VERIFIER_OK

        with pytest.raises(ServiceError, match="已被取代"):
            self.redraw(executed, staff_user, leader_user)
        with pytest.raises(ServiceError, match="已经执行或已被取代"):
            draw_execute(draw=executed, values=VALUES, user=staff_user)

    def test_an_announced_draw_may_be_redrawn_too(self, announced, staff_user, leader_user):
        new = self.redraw(announced, staff_user, leader_user)
        announced.refresh_from_db()
        assert announced.superseded_at and announced.status == Draw.Status.ANNOUNCED
        with pytest.raises(ServiceError, match="已经执行或已被取代"):
            draw_execute(draw=announced, values=VALUES, user=staff_user)
        with clock(REDRAW_DAY, EXECUTE_HOUR):
            assert draw_execute(draw=new, values=VALUES, user=staff_user).is_executed


# -- PostgreSQL: the database guard and two simultaneous requests -----------------------------------
@pytest.mark.postgres
class TestDatabaseGuard:
    def refused(self, match="immutable|frozen|never deleted"):
        return pytest.raises(DatabaseError, match=match)

    def test_an_executed_draw_cannot_be_changed(self, executed):
        draws = Draw.objects.filter(pk=executed.pk)
        for change in (
            {"result": {"forged": True}},
            {"source_values": [[1], [2]]},
            {"status": Draw.Status.ANNOUNCED},
            {"executed_at": timezone.now() + dt.timedelta(hours=1)},
            {"number": 7},
        ):
            with self.refused(), transaction.atomic():
                draws.update(**change)
        with self.refused(), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM inspections_draw WHERE id = %s", [executed.pk])
        executed.refresh_from_db()
        assert draw_verify(executed) == []

    def test_selections_and_teams_cannot_be_changed(self, executed):
        selection = executed.selections.first()
        with self.refused(), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM inspections_drawselection WHERE id = %s", [selection.pk])
        with self.refused(), transaction.atomic():
            DrawSelection.objects.filter(pk=selection.pk).update(stratum="key")
        with self.refused(), transaction.atomic():
            selection.team.first().delete()
        with self.refused(), transaction.atomic():
            TeamMember.objects.filter(selection=selection).update(borrowed=True)
        assert executed.selections.count() == 4

    def test_only_the_superseded_mark_may_be_set_once(self, executed):
        draws = Draw.objects.filter(pk=executed.pk)
        draws.update(superseded_at=timezone.now())
        with self.refused(), transaction.atomic():
            draws.update(superseded_at=None)

    def test_an_announcement_is_frozen(self, announced):
        with self.refused("frozen"), transaction.atomic():
            Draw.objects.filter(pk=announced.pk).update(announcement={"pools": {}})
        ids = copy.deepcopy(announced.pool_ids)
        ids["targets"].reverse()
        with self.refused("frozen"), transaction.atomic():
            Draw.objects.filter(pk=announced.pk).update(pool_ids=ids)
        # Updates that leave both alone pass (setting the superseded mark does exactly that).
        Draw.objects.filter(pk=announced.pk).update(superseded_at=timezone.now())


def concurrently(action, times: int = 2) -> list:
    """Run `action` in `times` threads, each with its own database connection, released together."""
    barrier = threading.Barrier(times)
    outcomes = []

    def run():
        try:
            barrier.wait(timeout=30)
            outcomes.append(action())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestConcurrency:
    def test_two_simultaneous_executions_make_exactly_one_draw(self, announced, staff_user):
        outcomes = concurrently(
            lambda: draw_execute(draw=announced, values=VALUES, user=staff_user)
        )
        done = [o for o in outcomes if isinstance(o, Draw)]
        refused = [o for o in outcomes if isinstance(o, ServiceError)]
        assert (len(done), len(refused)) == (1, 1), outcomes
        assert "已经执行" in str(refused[0])
        announced.refresh_from_db()
        assert announced.result == done[0].result
        assert DrawSelection.objects.count() == len(announced.result["selections"])
        assert TeamMember.objects.count() == sum(
            len(t["members"]) for t in announced.result["teams"]
        )
        assert draw_verify(announced) == []

    def test_two_simultaneous_announcements_make_exactly_one_draw(self, task, staff_user):
        # No clock inside the threads (mock.patch is not thread-safe): sources after the test's.
        outcomes = concurrently(
            lambda: draw_announce(task=task, sources=REDRAW_SOURCES, user=staff_user)
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["Draw", "ServiceError"], outcomes
        assert Draw.objects.filter(task=task).count() == 1
