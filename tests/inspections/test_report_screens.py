"""The office's screens after the visits, through HTTP as each role uses them: draft and edit the
report, the leader in charge approves it, feedback with its proof, the ledger followed to its
closure, the filing received by the legal-affairs office; check records read-only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from inspections.models import Feedback, Filing, InspectionReport, LedgerEntry, TargetResult
from inspections.services.draws import draw_execute
from inspections.services.reports import report_team_approve
from tests.inspections.conftest import DRAW_DAY, EXECUTE_HOUR, SOURCES, VALUES, announce, clock
from tests.inspections.test_reports import submit_record

pytestmark = pytest.mark.django_db
Category = TargetResult.Category


def url(name: str, *args) -> str:
    return reverse(f"admin:inspections_{name}", args=args)


@pytest.fixture
def executed(task, staff_user):
    """Drawn on DRAW_DAY; the screens are then used today (the real clock: the sessions too)."""
    with clock(DRAW_DAY):
        draw = announce(task=task, sources=SOURCES, user=staff_user)
        with clock(DRAW_DAY, EXECUTE_HOUR):
            return draw_execute(draw=draw, values=VALUES, user=staff_user)


@pytest.fixture
def inspections(executed):
    inspections = list(executed.task.inspections.order_by("selection__order"))
    for n, inspection in enumerate(inspections):
        submit_record(inspection, problem=n == 0)
    return inspections


@pytest.fixture
def team_leader(inspections):
    from tests.factories import UserFactory

    member = inspections[0].members.get(position=1)
    member.inspector.user = UserFactory(username="team-leader", is_staff=False)
    member.inspector.save()
    return member.inspector.user


def login(client, user):
    client.force_login(user)
    return client


def results_data(report, **overrides):
    """The edit page's formset as the browser posts it."""
    results = list(report.results.order_by("inspection__selection__order", "pk"))
    data = {
        "results-TOTAL_FORMS": len(results),
        "results-INITIAL_FORMS": len(results),
        "results-MIN_NUM_FORMS": 0,
        "results-MAX_NUM_FORMS": 1000,
    }
    for n, result in enumerate(results):
        data |= {
            f"results-{n}-id": result.pk,
            f"results-{n}-category": result.category,
            f"results-{n}-case_number": result.case_number,
            f"results-{n}-receiving_authority": result.receiving_authority,
            f"results-{n}-evaluation": result.evaluation,
            f"results-{n}-handling": result.handling,
        }
    for key, value in overrides.items():
        data[f"results-0-{key}"] = value
    return data


def report_data(report, **overrides):
    return {
        "inspected_from": report.inspected_from,
        "inspected_to": report.inspected_to,
        "content": report.content,
        "findings": report.findings,
        "evaluation": report.evaluation,
        "handling": overrides.pop("handling", "责令限期整改。"),
        **results_data(report, **overrides),
    }


def drafted(client, staff_user, task):
    response = login(client, staff_user).post(url("inspectionreport_draft"), {"task": task.pk})
    assert response.status_code == 302, response.content.decode()
    return InspectionReport.objects.get(task=task)


class TestReport:
    def test_draft_refused_with_the_targets_missing(self, client, staff_user, executed):
        response = login(client, staff_user).post(
            url("inspectionreport_draft"), {"task": executed.task.pk}
        )
        assert response.status_code == 200
        assert "检查记录尚未提交" in response.content.decode()
        assert not InspectionReport.objects.exists()

    def test_draft_edit_and_approve(
        self, client, staff_user, leader_user, team_leader, inspections
    ):
        report = drafted(client, staff_user, inspections[0].task)
        edit = url("inspectionreport_edit", report.pk)
        page = client.get(edit).content.decode()
        assert str(inspections[0].institution) in page and "results-0-category" in page

        # A case filed needs its number: refused with the target named, nothing saved.
        response = client.post(edit, report_data(report, category=Category.CASE_FILED), follow=True)
        assert f"{inspections[0].institution}：已立案的须填写立案号" in response.content.decode()
        report.refresh_from_db()
        assert report.handling == ""

        data = report_data(report, category=Category.CASE_FILED, case_number="渝中司立〔2026〕7号")
        assert client.post(edit, data).status_code == 302
        report.refresh_from_db()
        assert report.handling == "责令限期整改。"
        assert report.results.get(inspection=inspections[0]).case_number == "渝中司立〔2026〕7号"

        # The leader's button appears only after the team leader's review.
        change = url("inspectionreport_change", report.pk)
        assert "分管领导审批通过" not in login(client, leader_user).get(change).content.decode()
        report_team_approve(report=report, user=team_leader)
        assert "分管领导审批通过" in client.get(change).content.decode()
        assert (
            login(client, staff_user).post(url("inspectionreport_approve", report.pk)).status_code
            == 403
        )
        login(client, leader_user).post(url("inspectionreport_approve", report.pk))
        report.refresh_from_db()
        assert report.is_approved
        # Approved: the edit page sends back with a message.
        response = login(client, staff_user).get(edit, follow=True)
        assert "不能再修改" in response.content.decode()


class TestAfterApproval:
    @pytest.fixture
    def report(self, client, staff_user, leader_user, team_leader, inspections):
        report = drafted(client, staff_user, inspections[0].task)
        data = report_data(report, category=Category.CASE_FILED, case_number="渝中司立〔2026〕7号")
        client.post(url("inspectionreport_edit", report.pk), data)
        report_team_approve(report=report, user=team_leader)
        login(client, leader_user).post(url("inspectionreport_approve", report.pk))
        return InspectionReport.objects.get(pk=report.pk)

    def test_feedback_with_proof(self, client, staff_user, report, inspections):
        login(client, staff_user)
        add = url("feedback_add")
        page = client.get(add).content.decode()
        assert str(inspections[0].institution) in page
        base = {"inspection": inspections[0].pk, "delivered_on": timezone.localdate()}
        response = client.post(add, base | {"method": "post"})
        assert "须上传送达凭证" in response.content.decode()
        proof = SimpleUploadedFile("回执.pdf", b"%PDF-1.4 receipt", "application/pdf")
        response = client.post(add, base | {"method": "post", "proof": proof})
        assert response.status_code == 302
        feedback = Feedback.objects.get()
        assert feedback.proof.name.endswith(".pdf")
        assert client.get(url("feedback_change", feedback.pk)).status_code == 200

    def test_ledger_followed_to_its_closure(self, client, staff_user, report):
        entry = LedgerEntry.objects.get()
        page_url = url("ledgerentry_change", entry.pk)
        login(client, staff_user)
        page = client.get(page_url).content.decode()
        assert "未按规定公示收费标准" in page and "立案查处" in page
        response = client.post(
            page_url, {"_update": "1", "kind": "transferred", "suspected_crime": "on"}, follow=True
        )
        assert "移送处理须写明接收机关" in response.content.decode()
        client.post(
            page_url,
            {
                "_update": "1",
                "kind": "transferred",
                "suspected_crime": "on",
                "transferred_to": "渝中区公安分局",
            },
        )
        entry.refresh_from_db()
        assert entry.suspected_crime and entry.transferred_to == "渝中区公安分局"
        client.post(page_url, {"_close": "1", "closed_on": timezone.localdate(), "note": "已移送"})
        entry.refresh_from_db()
        assert entry.closed_on == timezone.localdate()
        assert 'name="_close"' not in client.get(page_url).content.decode()  # closed: read-only

    def test_filing_after_every_feedback_received_by_the_legal_office(
        self, client, staff_user, legal_user, report, inspections
    ):
        login(client, staff_user)
        response = client.post(url("filing_add"), {"task": report.task.pk})
        assert "尚未登记结果反馈" in response.content.decode()
        for inspection in inspections:
            data = {
                "inspection": inspection.pk,
                "method": "publication",
                "delivered_on": timezone.localdate(),
            }
            assert client.post(url("feedback_add"), data).status_code == 302
        assert client.post(url("filing_add"), {"task": report.task.pk}).status_code == 302
        filing = Filing.objects.get()
        change = url("filing_change", filing.pk)
        assert "接收备案" not in client.get(change).content.decode()
        assert "接收备案" in login(client, legal_user).get(change).content.decode()
        client.post(url("filing_receive", filing.pk))
        filing.refresh_from_db()
        assert filing.received_by == legal_user


def test_records_are_read_only_for_the_office(client, staff_user, inspections):
    record = inspections[0].records.get()
    login(client, staff_user)
    page = client.get(url("checkrecord_change", record.pk)).content.decode()
    assert "未按规定公示收费标准" in page
    assert 'name="_save"' not in page
    assert client.get(url("inspection_change", inspections[0].pk)).status_code == 200


@pytest.mark.parametrize(
    "model", ["inspection", "checkrecord", "inspectionreport", "feedback", "ledgerentry", "filing"]
)
def test_lists_load_in_a_bounded_number_of_queries(
    client, staff_user, inspections, model, django_assert_max_num_queries
):
    login(client, staff_user)
    # A constant number, whatever the rows: 12 for the page, 1 for the roles the separation of
    # duties checks on each request (core.middleware.SeparationOfDutiesMiddleware).
    with django_assert_max_num_queries(13):
        response = client.get(url(f"{model}_changelist"))
    assert response.status_code == 200
