"""The team leader reviews the report on the tablet (N10(5), first step): only the reports of
tasks where one leads a team; everyone else gets 404; approval only once every result is set."""

import pytest
from django.urls import reverse

from inspections.models import InspectionReport, TargetResult
from inspections.services.reports import report_draft, result_set
from tests.factories import UserFactory
from tests.inspections.test_reports import submit_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


@pytest.fixture
def report(executed, staff_user):
    inspections = list(executed.task.inspections.order_by("selection__order"))
    for n, inspection in enumerate(inspections):
        submit_record(inspection, problem=n == 0)
    return report_draft(task=executed.task, user=staff_user)


def account(member, username):
    member.inspector.user = UserFactory(username=username, is_staff=False)
    member.inspector.save()
    return member.inspector.user


@pytest.fixture
def leader(report):
    inspection = report.task.inspections.order_by("selection__order").first()
    return account(inspection.members.get(position=1), "zuzhang")


@pytest.fixture
def member(report):
    """On a team of the task, never leading one."""
    leaders = set(
        report.task.inspections.filter(members__position=1).values_list(
            "members__inspector", flat=True
        )
    )
    for inspection in report.task.inspections.all():
        for m in inspection.members.filter(position=2):
            if m.inspector_id not in leaders:
                return account(m, "zuyuan")
    pytest.skip("every member of this draw leads a team somewhere")


def test_the_team_leader_reviews_and_approves(client, report, leader):
    client.force_login(leader)
    page = client.get(reverse("inspect:report_list")).content.decode()
    assert report.task.name in page
    detail = reverse("inspect:report_detail", args=[report.pk])
    page = client.get(detail).content.decode()
    assert "尚未确定" in page and "组长审核通过" not in page  # one result is not set yet
    undecided = report.results.get(category="")
    result_set(
        result=undecided,
        category=TargetResult.Category.CASE_FILED,
        case_number="渝中司立〔2026〕7号",
    )
    page = client.get(detail).content.decode()
    assert "渝中司立〔2026〕7号" in page and "组长审核通过" in page
    response = client.post(reverse("inspect:report_approve", args=[report.pk]), follow=True)
    assert "转分管领导审批" in response.content.decode()
    report.refresh_from_db()
    assert (
        report.status == InspectionReport.Status.TEAM_APPROVED and report.team_approved_by == leader
    )


def test_anyone_else_gets_404(client, report, member, inspector_user):
    for user in (member, inspector_user):
        client.force_login(user)
        assert report.task.name not in client.get(reverse("inspect:report_list")).content.decode()
        assert client.get(reverse("inspect:report_detail", args=[report.pk])).status_code in (
            403,
            404,
        )
        client.post(reverse("inspect:report_approve", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == InspectionReport.Status.DRAFT
