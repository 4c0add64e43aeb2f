"""The draw services (N10, Y3.5): an immediate draw (a reason and two distinct witnesses, not
publicly verifiable) and a re-draw (a reason and a second approver; the earlier draw stays
published and verifiable)."""

import copy

import pytest

from core.exceptions import ServiceError
from inspections.models import Draw, DrawSelection
from inspections.services.draws import (
    draw_document,
    draw_execute,
    draw_immediate,
    draw_redraw,
    draw_verify,
)
from tests.factories import UserFactory
from tests.inspections.conftest import (
    EXECUTE_HOUR,
    REDRAW_DAY,
    REDRAW_SOURCES,
    VALUES,
    VERIFIER_OK,
    clock,
)
from tests.inspections.draw_checks import run_verifier, write_document

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


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
