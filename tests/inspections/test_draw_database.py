"""The draws in PostgreSQL (N10): the database guard refuses to change an executed draw, its
selections and teams, or an announcement; two simultaneous executions or announcements make
exactly one draw."""

import copy
import datetime as dt
import threading

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.exceptions import ServiceError
from inspections.models import Draw, DrawSelection, TeamMember
from inspections.services.draws import draw_announce, draw_execute, draw_verify
from tests.inspections.conftest import REDRAW_SOURCES, VALUES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


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
