"""An approved report to publish: the draw of tests/inspections (20 firms, 6 inspectors), every
record submitted (the first target with a problem), the report approved by the team leader and
the leader in charge, results decided."""

import pytest

from inspections.models import TargetResult
from inspections.services.draws import draw_execute
from inspections.services.reports import (
    report_approve,
    report_draft,
    report_team_approve,
    result_set,
)
from tests.factories import UserFactory
from tests.inspections.conftest import (  # noqa: F401 (fixtures)
    DRAW_DAY,
    EXECUTE_HOUR,
    SOURCES,
    VALUES,
    announce,
    check_items,
    clock,
    draft_plan,
    inspectors,
    institutions,
    plan,
    plan_round,
    task,
    yuzhong,
)
from tests.inspections.test_reports import submit_record


@pytest.fixture
def team_approved(task, staff_user):  # noqa: F811 (the imported fixture)
    """The report approved by the team leader, not yet by the leader in charge (N10(5))."""
    with clock(DRAW_DAY):
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        with clock(DRAW_DAY, EXECUTE_HOUR):
            draw = draw_execute(draw=draw, values=VALUES, user=staff_user)
    inspections = list(task.inspections.order_by("selection__order"))
    for n, inspection in enumerate(inspections):
        submit_record(inspection, problem=n == 0)
    leader = inspections[0].members.get(position=1).inspector
    leader.user = UserFactory(username="team-leader", is_staff=False)
    leader.save()
    report = report_draft(task=task, user=staff_user)
    for result in report.results.all():
        if not result.category:
            result_set(
                result=result,
                category=TargetResult.Category.CASE_FILED,
                case_number="渝中司立〔2026〕7号",
            )
    return report_team_approve(report=report, user=leader.user)


@pytest.fixture
def report(team_approved, leader_user):
    return report_approve(report=team_approved, user=leader_user)
