"""The draws in the security audit trail (issue 14 §3): each announcement, execution and re-draw
is an entry naming the draw, who did it and the outcome; the chain still verifies after them."""

import io

import pytest
from django.core.management import call_command

from core.models import AuditEvent
from inspections.services.draws import draw_redraw
from tests.inspections.conftest import REDRAW_SOURCES

pytestmark = pytest.mark.django_db


def draw_events():
    return list(
        AuditEvent.objects.filter(target_model="inspections.draw")
        .order_by("id")
        .values_list("action", "target_id", "username", "outcome")
    )


def test_announcement_and_execution(executed):
    assert draw_events() == [
        (AuditEvent.Action.DRAW_ANNOUNCED, str(executed.pk), "staff", "success"),
        (AuditEvent.Action.DRAW_EXECUTED, str(executed.pk), "staff", "success"),
    ]
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("OK")


def test_a_redraw(announced, staff_user, leader_user, on_draw_day):
    new = draw_redraw(
        draw=announced,
        reason="名录有误",
        requested_by=staff_user,
        approved_by=leader_user,
        sources=REDRAW_SOURCES,
    )
    assert draw_events()[-1] == (AuditEvent.Action.REDRAW, str(new.pk), "staff", "success")
