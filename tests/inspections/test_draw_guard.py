"""The database guard of the draws (issue 12 §3; N10–N12, Y4(2); inspections 0008), attacked below
the services as someone with the application's database account would: through the ORM and with
raw SQL. What a draw publishes is frozen from its announcement; it is never deleted; its status only
goes announced → executed, once, with its rows complete; an executed draw never gains a row."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.exceptions import ServiceError
from inspections.models import Draw, DrawSelection, PlanRound, TeamMember
from inspections.services.draws import (
    draw_announce,
    draw_execute,
    draw_immediate,
    draw_redraw,
    draw_verify,
)
from tests.factories import InspectorFactory, InstitutionFactory, UserFactory
from tests.inspections.conftest import REDRAW_SOURCES, VALUES, task_approve
from tools import verify_draw as algorithm

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.usefixtures("on_draw_day"),
]

REFUSED = "frozen|immutable|never deleted|announced|executed|superseded|match its result"


def refused(match: str = REFUSED):
    return pytest.raises(DatabaseError, match=match)


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def someone(db):
    return UserFactory(username="someone")


def published_changes(draw: Draw, someone) -> dict:
    """A new value for every field a draw publishes about itself (issue 12 §3)."""
    return {
        "announced_at": draw.announced_at - dt.timedelta(days=3),
        "announced_by": someone,
        "verifiable": not draw.verifiable,
        "immediate_reason": "事后补写的理由",
        "witnesses": ["甲", "乙"],
        "redraw_reason": "事后补写",
        "redraw_of": draw,
        "redraw_requested_by": someone,
        "redraw_approved_by": someone,
        "number": 9,
    }


# SQL column for each published field, and a value of the right type.
def sql_changes(draw: Draw, someone) -> list[tuple[str, object]]:
    return [
        ("announced_at", draw.announced_at - dt.timedelta(days=3)),
        ("announced_by_id", someone.pk),
        ("verifiable", not draw.verifiable),
        ("immediate_reason", "事后补写的理由"),
        ("witnesses", '["甲", "乙"]'),
        ("redraw_reason", "事后补写"),
        ("redraw_of_id", draw.pk),
        ("redraw_requested_by_id", someone.pk),
        ("redraw_approved_by_id", someone.pk),
        ("number", 9),
        ("task_id", draw.task_id),  # the same task: a no-op passes, see below
    ]


class TestPublishedFieldsAreFrozen:
    @pytest.mark.parametrize("state", ["announced", "executed"])
    def test_through_the_orm(self, state, announced, staff_user, someone):
        draw = announced
        if state == "executed":
            draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        for field, value in published_changes(draw, someone).items():
            with refused("frozen"), transaction.atomic():
                Draw.objects.filter(pk=draw.pk).update(**{field: value})
            fresh = Draw.objects.get(pk=draw.pk)
            setattr(fresh, field, value)
            with refused("frozen"), transaction.atomic():
                fresh.save()
        draw.refresh_from_db()
        assert draw.announced_by == staff_user and draw.verifiable and draw.witnesses == []

    @pytest.mark.parametrize("state", ["announced", "executed"])
    def test_with_sql(self, state, announced, staff_user, someone):
        draw = announced
        if state == "executed":
            draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        for column, value in sql_changes(draw, someone):
            if column == "task_id":
                # Setting a column to its own value changes nothing and is allowed.
                sql(f"UPDATE inspections_draw SET {column} = %s WHERE id = %s", value, draw.pk)
                continue
            with refused("frozen"), transaction.atomic():
                sql(f"UPDATE inspections_draw SET {column} = %s WHERE id = %s", value, draw.pk)

    def test_an_executed_draws_result_and_execution(self, executed, someone):
        later = executed.executed_at + dt.timedelta(hours=1)
        for column, value in [
            ("result", '{"forged": true}'),
            ("source_values", "[[1], [2]]"),
            ("executed_at", later),
            ("executed_by_id", someone.pk),
            ("status", "announced"),
            ("status", "redrawn"),
        ]:
            with refused("immutable"), transaction.atomic():
                sql(f"UPDATE inspections_draw SET {column} = %s WHERE id = %s", value, executed.pk)
        for field, value in [("executed_by", someone), ("source_values", [[1, 2, 3], [4]])]:
            with refused("immutable"), transaction.atomic():
                Draw.objects.filter(pk=executed.pk).update(**{field: value})
        executed.refresh_from_db()
        assert draw_verify(executed) == []

    def test_the_superseded_mark_is_set_once(self, executed):
        sql("UPDATE inspections_draw SET superseded_at = now() WHERE id = %s", executed.pk)
        with refused("superseded"), transaction.atomic():
            sql("UPDATE inspections_draw SET superseded_at = NULL WHERE id = %s", executed.pk)
        with refused("superseded"), transaction.atomic():
            Draw.objects.filter(pk=executed.pk).update(
                superseded_at=timezone.now() + dt.timedelta(days=1)
            )


class TestNeverDeleted:
    @pytest.mark.parametrize("state", ["announced", "executed", "superseded"])
    def test_no_draw_is_deleted(self, state, announced, staff_user, leader_user):
        draw = announced
        if state == "executed":
            draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        if state == "superseded":
            draw_redraw(
                draw=announced,
                reason="名录有误",
                requested_by=staff_user,
                approved_by=leader_user,
                sources=REDRAW_SOURCES,
            )
        with refused("never deleted"), transaction.atomic():
            sql("DELETE FROM inspections_draw WHERE id = %s", draw.pk)
        # The ORM stops earlier where rows protect the draw (on_delete=PROTECT); else the guard.
        with refused("never deleted|protected foreign keys"), transaction.atomic():
            Draw.objects.filter(pk=draw.pk).delete()
        assert Draw.objects.filter(pk=draw.pk).exists()


class TestTheExecution:
    def test_a_draw_is_inserted_as_announced(self, announced, staff_user):
        row = {
            "task": announced.task,
            "number": 5,
            "announcement": {},
            "announced_at": timezone.now(),
            "announced_by": staff_user,
            "superseded_at": timezone.now(),  # not live: no clash with the one live draw
        }
        for extra in (
            {},
            {"superseded_at": None, "status": "executed", "result": {}},
        ):
            with refused("inserted as announced"), transaction.atomic():
                Draw.objects.create(**{**row, **extra})
        with refused("inserted as announced"), transaction.atomic():
            sql(
                "INSERT INTO inspections_draw (task_id, number, status, verifiable, announcement,"
                " pool_ids, announced_at, announced_by_id, immediate_reason, witnesses,"
                " redraw_reason, result, source_values, executed_at, executed_by_id)"
                " VALUES (%s, 6, 'executed', true, '{}', '{}', now(), %s, '', '[]', '',"
                " '{\"selections\": [], \"teams\": []}', '[]', now(), %s)",
                announced.task_id,
                staff_user.pk,
                staff_user.pk,
            )

    def test_a_result_only_with_the_execution_and_complete_rows(self, announced, staff_user):
        draws = Draw.objects.filter(pk=announced.pk)
        result = {"selections": [{"credit_code": "X"}], "teams": [{"members": [{}, {}]}]}
        with refused("no result"), transaction.atomic():
            draws.update(result=result)  # results without the execution
        with refused("sets its values"), transaction.atomic():
            draws.update(status="executed", result=result)  # no values, time, executor
        with refused("match its result"), transaction.atomic():
            # Everything, but none of the rows the result names.
            draws.update(
                status="executed",
                result=result,
                source_values=[[1]],
                executed_at=timezone.now(),
                executed_by=staff_user,
            )
        with refused("before it was announced"), transaction.atomic():
            draws.update(
                status="executed",
                result={"selections": [], "teams": []},
                source_values=[[1]],
                executed_at=announced.announced_at - dt.timedelta(seconds=1),
                executed_by=staff_user,
            )
        with refused("never executed"), transaction.atomic():
            draws.update(superseded_at=timezone.now())
            draws.update(
                status="executed",
                result={"selections": [], "teams": []},
                source_values=[[1]],
                executed_at=timezone.now(),
                executed_by=staff_user,
            )
        draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        assert draw_verify(draw) == []

    def test_a_failed_execution_leaves_nothing_and_a_retry_works(self, announced, staff_user):
        with pytest.raises(ServiceError):
            draw_execute(draw=announced, values=["1 2 3", VALUES[1]], user=staff_user)
        assert not DrawSelection.objects.filter(draw=announced).exists()
        draw = draw_execute(draw=announced, values=VALUES, user=staff_user)
        assert draw.selections.count() == len(draw.result["selections"])
        with pytest.raises(ServiceError, match="已经执行"):
            draw_execute(draw=announced, values=VALUES, user=staff_user)

    def test_rows_slipped_into_an_announced_draw_stop_its_execution(self, announced, staff_user):
        """Someone with the database account adds a row before the draw is executed: the
        execution refuses (the result would not be what the rows say) and a re-draw is due."""
        DrawSelection.objects.create(
            draw=announced, order=1, institution=InstitutionFactory(), stratum="key", digest="0"
        )
        with pytest.raises(ServiceError, match="申请重新抽取"):
            draw_execute(draw=announced, values=VALUES, user=staff_user)
        announced.refresh_from_db()
        assert announced.status == Draw.Status.ANNOUNCED


class TestNoRowsAfterTheExecution:
    """Issue 12 §3: extra selections and team members could be INSERTed into an executed draw
    (and /draws/<id>/ then answered 500)."""

    def test_no_selection_through_the_orm_or_sql(self, executed):
        stranger = InstitutionFactory()
        with refused("selections can only be added"), transaction.atomic():
            DrawSelection.objects.create(
                draw=executed, order=99, institution=stranger, stratum="key", digest="0" * 32
            )
        with refused("selections can only be added"), transaction.atomic():
            DrawSelection.objects.bulk_create(
                [
                    DrawSelection(draw=executed, order=100 + i, institution=x, stratum="key")
                    for i, x in enumerate(InstitutionFactory.create_batch(3))
                ]
            )
        with refused("selections can only be added"), transaction.atomic():
            sql(
                'INSERT INTO inspections_drawselection (draw_id, "order", institution_id,'
                " stratum, digest) VALUES (%s, 99, %s, 'key', '')",
                executed.pk,
                stranger.pk,
            )
        assert executed.selections.count() == len(executed.result["selections"])

    def test_no_team_member_through_the_orm_or_sql(self, executed):
        selection = executed.selections.first()
        stranger = InspectorFactory()
        with refused("team members can only be added"), transaction.atomic():
            TeamMember.objects.create(selection=selection, inspector=stranger, position=3)
        with refused("team members can only be added"), transaction.atomic():
            sql(
                "INSERT INTO inspections_teammember (selection_id, inspector_id, position,"
                " borrowed) VALUES (%s, %s, 3, false)",
                selection.pk,
                stranger.pk,
            )
        assert selection.team.count() == 2

    def test_not_into_a_superseded_draw_either(self, announced, staff_user, leader_user):
        draw_redraw(
            draw=announced,
            reason="名录有误",
            requested_by=staff_user,
            approved_by=leader_user,
            sources=REDRAW_SOURCES,
        )
        with refused("selections can only be added"), transaction.atomic():
            DrawSelection.objects.create(
                draw=announced, order=1, institution=InstitutionFactory(), stratum="key"
            )

    def test_one_statement_for_two_draws_is_refused_whole(
        self, executed, plan, staff_user, leader_user
    ):
        """A bulk INSERT that mixes a draw being executed with an executed one."""
        other = task_approve(
            plan_round=PlanRound.objects.get(section__plan=plan, number=2),
            applicant=staff_user,
            leader=leader_user,
        )
        live = draw_announce(task=other, sources=REDRAW_SOURCES, user=staff_user)
        firms = InstitutionFactory.create_batch(2)
        with refused("selections can only be added"), transaction.atomic():
            DrawSelection.objects.bulk_create(
                [
                    DrawSelection(draw=live, order=1, institution=firms[0], stratum="key"),
                    DrawSelection(draw=executed, order=51, institution=firms[1], stratum="key"),
                ]
            )
        assert not live.selections.exists()


def test_an_immediate_draw_passes_the_guard(task, staff_user):
    """draw_immediate writes its published fields at creation (draw_announce's parameters)."""
    draw = draw_immediate(task=task, reason="开奖推迟", witnesses=["甲", "乙"], user=staff_user)
    draw.refresh_from_db()
    assert (draw.verifiable, draw.immediate_reason, draw.witnesses) == (
        False,
        "开奖推迟",
        ["甲", "乙"],
    )
    assert draw_verify(draw) == []


class TestPagesTolerateUnexpectedRows:
    """Issue 12 §3: with an extra row, /draws/<id>/ answered 500. The pages render from the
    result document; rows only lend names. The rows are put in where the database still
    allows it: the guard switched off inside the test's transaction."""

    @pytest.fixture
    def unguarded(self):
        tables = ["inspections_draw", "inspections_drawselection", "inspections_teammember"]
        # The foreign keys are checked at commit; ALTER TABLE needs no check pending.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        sql("SET CONSTRAINTS ALL DEFERRED")
        yield
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    def pages(self, client, staff_user, draw) -> tuple[str, str]:
        public = client.get(f"/draws/{draw.pk}/")
        assert public.status_code == 200
        client.force_login(staff_user)
        admin = client.get(f"/admin/inspections/draw/{draw.pk}/change/")
        assert admin.status_code == 200
        return public.content.decode(), admin.content.decode()

    def test_extra_selections_and_team_members(self, executed, unguarded, client, staff_user):
        intruder = InstitutionFactory(name="不该出现的律师事务所")
        stranger = InspectorFactory(name="不该出现的检查员")
        extra = DrawSelection.objects.create(
            draw=executed, order=99, institution=intruder, stratum="key", digest="F" * 32
        )
        TeamMember.objects.create(selection=extra, inspector=stranger, position=1)
        TeamMember.objects.create(
            selection=executed.selections.get(order=1), inspector=stranger, position=3
        )
        public, admin = self.pages(client, staff_user, executed)
        for text in (public, admin):
            assert "不该出现的律师事务所" not in text and "不该出现的检查员" not in text
            for selection in executed.result["selections"]:
                assert selection["credit_code"] in text

    def test_missing_rows(self, announced, unguarded, client, staff_user):
        """An executed draw whose rows were never written: the published codes are shown."""
        from inspections.services.draws import draw_inputs
        from tests.inspections.conftest import NUMBERS_OF_VALUES

        result = algorithm.compute_draw(draw_inputs(announced, NUMBERS_OF_VALUES))
        Draw.objects.filter(pk=announced.pk).update(
            status="executed",
            result=result,
            source_values=NUMBERS_OF_VALUES,
            executed_at=timezone.now(),
            executed_by=staff_user,
        )
        public, admin = self.pages(client, staff_user, announced)
        for selection, team in zip(result["selections"], result["teams"], strict=True):
            assert selection["credit_code"] in public and selection["credit_code"] in admin
            for member in team["members"]:
                assert member["certificate"] in public

    def test_a_result_with_fewer_teams_than_selections(
        self, announced, unguarded, client, staff_user
    ):
        from inspections.services.draws import draw_inputs
        from tests.inspections.conftest import NUMBERS_OF_VALUES

        result = algorithm.compute_draw(draw_inputs(announced, NUMBERS_OF_VALUES))
        result["teams"] = result["teams"][:1]
        Draw.objects.filter(pk=announced.pk).update(
            status="executed",
            result=result,
            source_values=NUMBERS_OF_VALUES,
            executed_at=timezone.now(),
            executed_by=staff_user,
        )
        self.pages(client, staff_user, announced)
