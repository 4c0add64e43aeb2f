"""The draw services (N10–N12, Y3.3, Y3.5), the announcement: it freezes the pools — practising
institutions of the sector and the task's jurisdictions, eligible inspectors and the neighbours'
eligible ones, the conflicts in force — with their hashes and the risk tiers refreshed into the
strata, names its sources, and is made once per approved random task.

Execution and the published document: test_draw_execute.py; immediate draws and re-draws:
test_draw_redraw.py; the database guards and two simultaneous requests: test_draw_database.py."""

import copy
import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ServiceError
from inspections.models import Draw, InspectionTask, TeamMember
from inspections.services.draws import draw_execute, draw_inputs, draw_verify
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.models import Inspector, Institution, Jurisdiction, SupervisionRecord
from tests.factories import (
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    PractitionerFactory,
    sector,
)
from tests.inspections.conftest import NUMBERS_OF_VALUES as NUMBERS
from tests.inspections.conftest import SOURCES, VALUES, announce, clock
from tests.inspections.draw_checks import all_selected_task, nothing_saved
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]

START = dt.date(2026, 4, 1)  # the first round, the day eligibility and conflicts are judged on


def by_code(draw: Draw) -> dict[str, dict]:
    result = draw.result
    return {t["credit_code"]: t for t in result["teams"]}


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
