"""After the visits (N13, N10(5), N14, Y3.6, N16, N10(6)): the report drafted from the submitted
records, each target's result in one of the three categories, the two approvals, the feedback to
each target, the follow-up ledger and the filing that closes the task — with their deadlines."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ServiceError
from core.models import Deadline
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Feedback,
    Inspection,
    InspectionReport,
    LedgerEntry,
    TargetResult,
)
from inspections.services.documents import document_freeze
from inspections.services.reports import (
    feedback_record,
    filing_receive,
    filing_submit,
    ledger_close,
    ledger_update,
    report_approve,
    report_draft,
    report_team_approve,
    report_update,
    result_set,
)
from tests.factories import UserFactory
from tests.inspections.conftest import clock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]

Outcome = CheckRecordItem.Outcome
Category = TargetResult.Category
VISIT = dt.date(2026, 4, 8)
REPORT_DAY = dt.date(2026, 5, 6)  # after the round (April) and the May Day holiday


def submit_record(
    inspection: Inspection, *, problem: bool = False, user=None, correction_of=None
) -> CheckRecord:
    """A submitted check record as the inspectors' screens leave it: every item decided (N9)."""
    user = user or UserFactory(username=f"insp-{inspection.pk}")
    record = CheckRecord.objects.create(
        inspection=inspection,
        version=correction_of.version + 1 if correction_of else 1,
        correction_of=correction_of,
        correction_reason="更正笔误" if correction_of else "",
        inspected_on=VISIT,
        place="律所办公室",
        certificates_shown=True,
        rights_told=True,
        created_by=user,
    )
    items = inspection.task.plan_round.section.check_items.order_by("code")
    for order, check_item in enumerate(items, start=1):
        bad = problem and order == 1
        CheckRecordItem.objects.create(
            record=record,
            check_item=check_item,
            order=order,
            outcome=Outcome.PROBLEM if bad else Outcome.COMPLIANT,
            finding="未按规定公示收费标准" if bad else "",
            method="on_site",
        )
    # Submitted as record_submit leaves it: locked, its document frozen.
    CheckRecord.objects.filter(pk=record.pk).update(
        status=CheckRecord.Status.SUBMITTED, submitted_by=user, submitted_at=timezone.now()
    )
    record.refresh_from_db()
    document_freeze(record)
    Inspection.objects.filter(pk=inspection.pk).update(status=Inspection.Status.SUBMITTED)
    return record


@pytest.fixture
def inspections(executed):
    return list(executed.task.inspections.order_by("selection__order"))


@pytest.fixture
def submitted(inspections):
    """All records submitted; the first target had a problem."""
    for n, inspection in enumerate(inspections):
        submit_record(inspection, problem=n == 0)
    return inspections


@pytest.fixture
def team_leader(inspections):
    """The account of the first inspection's team leader (position 1, 组长)."""
    member = inspections[0].members.get(position=1)
    user = UserFactory(username="team-leader", is_staff=False)
    member.inspector.user = user
    member.inspector.save()
    return user


def draft(task, staff_user):
    with clock(REPORT_DAY):
        return report_draft(task=task, user=staff_user)


def decide_all(report):
    for result in report.results.all():
        if not result.category:
            result_set(
                result=result, category=Category.CASE_FILED, case_number="渝中司立〔2026〕7号"
            )


def approved(task, staff_user, leader_user, team_leader):
    report = draft(task, staff_user)
    decide_all(report)
    with clock(REPORT_DAY):
        report_team_approve(report=report, user=team_leader)
        return report_approve(report=report, user=leader_user)


class TestDraft:
    def test_every_inspection_needs_a_submitted_record(self, inspections, staff_user):
        submit_record(inspections[0])
        with pytest.raises(ServiceError, match="尚未提交") as error:
            draft(inspections[0].task, staff_user)
        assert str(inspections[1].institution) in str(error.value)
        assert not InspectionReport.objects.exists()

    def test_drafted_with_what_n13_requires(self, submitted, staff_user, check_items):
        report = draft(submitted[0].task, staff_user)
        assert report.target_count == len(submitted)
        assert (report.inspected_from, report.inspected_to) == (VISIT, VISIT)
        assert all(
            item.code in report.content and item.legal_basis in report.content
            for item in check_items
        )
        assert f"{submitted[0].institution}：" in report.findings
        assert "未按规定公示收费标准" in report.findings
        results = {r.inspection_id: r for r in report.results.all()}
        # Nothing found: no violation; a problem: the office decides.
        assert results[submitted[0].pk].category == ""
        assert {results[i.pk].category for i in submitted[1:]} == {Category.NO_VIOLATION}
        assert "发现问题 1 项" in results[submitted[0].pk].evaluation

    def test_the_latest_version_counts(self, submitted, staff_user):
        first = submitted[0].records.get()
        submit_record(submitted[0], correction_of=first)  # the problem corrected away
        report = draft(submitted[0].task, staff_user)
        assert report.results.get(inspection=submitted[0]).category == Category.NO_VIOLATION

    def test_one_report_per_task(self, submitted, staff_user):
        draft(submitted[0].task, staff_user)
        with pytest.raises(ServiceError, match="已有抽查报告"):
            draft(submitted[0].task, staff_user)


class TestResults:
    def test_the_three_categories_of_y36_with_what_each_needs(self, submitted, staff_user):
        report = draft(submitted[0].task, staff_user)
        result = report.results.get(inspection=submitted[0])
        with pytest.raises(ServiceError, match="须填写立案号"):
            result_set(result=result, category=Category.CASE_FILED)
        with pytest.raises(ServiceError, match="须填写接收移送的机关"):
            result_set(result=result, category=Category.TRANSFERRED, case_number="x")
        with pytest.raises(ServiceError, match="请选择检查结果"):
            result_set(result=result, category="fined")
        result_set(
            result=result, category=Category.TRANSFERRED, receiving_authority="渝中区市场监管局"
        )
        result.refresh_from_db()
        assert (result.category, result.receiving_authority) == (
            Category.TRANSFERRED,
            "渝中区市场监管局",
        )

    def test_no_violation_only_where_nothing_was_found(self, submitted, staff_user):
        report = draft(submitted[0].task, staff_user)
        clean = report.results.get(inspection=submitted[1])
        with pytest.raises(ServiceError, match="没有发现问题"):
            result_set(result=clean, category=Category.CASE_FILED, case_number="1")


class TestApproval:
    def test_team_leader_then_leader_in_charge(
        self, submitted, staff_user, leader_user, team_leader
    ):
        report = draft(submitted[0].task, staff_user)
        with pytest.raises(ServiceError, match="尚未确定检查结果"):
            report_team_approve(report=report, user=team_leader)
        decide_all(report)
        with pytest.raises(ServiceError, match="须先经检查组组长审核"):
            report_approve(report=report, user=leader_user)
        with pytest.raises(ServiceError, match="只有本任务的检查组组长"):
            report_team_approve(report=report, user=staff_user)
        report_team_approve(report=report, user=team_leader)
        with pytest.raises(ServiceError, match="只有分管领导"):
            report_approve(report=report, user=staff_user)
        with pytest.raises(ServiceError, match="不能再修改"):
            report_update(report=report, user=staff_user, handling="改")
        report = report_approve(report=report, user=leader_user)
        assert report.is_approved and report.approved_by == leader_user

    def test_approval_meets_the_report_deadline_and_opens_feedback_and_ledger(
        self, submitted, staff_user, leader_user, team_leader
    ):
        task = submitted[0].task
        report_deadline = Deadline.objects.get(kind=Deadline.Kind.REPORT, subject_id=task.pk)
        # N13: 5 working days after the round ends (Thursday 2026-04-30); 1–5 May are the
        # holiday and Saturday 9 May is worked instead (调休): 6, 7, 8, 9, 11 May.
        assert report_deadline.due_on == dt.date(2026, 5, 11)
        approved(task, staff_user, leader_user, team_leader)
        report_deadline.refresh_from_db()
        assert report_deadline.met_at is not None
        feedback = Deadline.objects.get(kind=Deadline.Kind.FEEDBACK, subject_id=task.pk)
        assert (feedback.starts_on, feedback.due_on) == (REPORT_DAY, dt.date(2026, 5, 12))
        # Each deadline links to where it is met (the reminders carry the link).
        assert report_deadline.url == reverse("admin:inspections_inspectionreport_draft")
        assert feedback.url == reverse("admin:inspections_feedback_add")
        entry = LedgerEntry.objects.get()
        assert entry.inspection == submitted[0]
        assert (entry.kind, entry.case_number) == (
            LedgerEntry.Kind.CASE_FILED,
            "渝中司立〔2026〕7号",
        )


def proof():
    return ContentFile(b"%PDF-1.4 receipt", name="签收单.pdf")


class TestFeedbackLedgerFiling:
    def test_feedback_only_after_approval_with_proof(
        self, submitted, staff_user, leader_user, team_leader
    ):
        with pytest.raises(ServiceError, match="报告批准后"):
            feedback_record(
                inspection=submitted[0],
                method="post",
                delivered_on=REPORT_DAY,
                user=staff_user,
                proof=proof(),
            )
        approved(submitted[0].task, staff_user, leader_user, team_leader)
        with clock(REPORT_DAY), pytest.raises(ServiceError, match="须上传送达凭证"):
            feedback_record(
                inspection=submitted[0],
                method="in_person",
                delivered_on=REPORT_DAY,
                user=staff_user,
            )
        with clock(REPORT_DAY):
            feedback_record(
                inspection=submitted[0],
                method="post",
                delivered_on=REPORT_DAY,
                user=staff_user,
                proof=proof(),
            )
            with pytest.raises(ServiceError, match="已登记过"):
                feedback_record(
                    inspection=submitted[0],
                    method="publication",
                    delivered_on=REPORT_DAY,
                    user=staff_user,
                )
        assert Feedback.objects.get().proof.name

    def test_feedback_to_everyone_meets_the_deadline_and_allows_filing(
        self, submitted, staff_user, leader_user, team_leader, legal_user
    ):
        task = submitted[0].task
        approved(task, staff_user, leader_user, team_leader)
        with clock(REPORT_DAY):
            for inspection in submitted[:-1]:
                feedback_record(
                    inspection=inspection,
                    method="publication",
                    delivered_on=REPORT_DAY,
                    user=staff_user,
                )
            with pytest.raises(ServiceError, match="尚未登记结果反馈") as error:
                filing_submit(task=task, user=staff_user)
            assert str(submitted[-1].institution) in str(error.value)
            deadline = Deadline.objects.get(kind=Deadline.Kind.FEEDBACK, subject_id=task.pk)
            assert deadline.met_at is None
            feedback_record(
                inspection=submitted[-1],
                method="publication",
                delivered_on=REPORT_DAY,
                user=staff_user,
            )
            deadline.refresh_from_db()
            assert deadline.met_at is not None
            filing = filing_submit(task=task, user=staff_user, note="随附归档材料")
            assert len(filing.manifest_sha256) == 64  # the archive as filed (Y3.5)
            with pytest.raises(ServiceError, match="已经备案"):
                filing_submit(task=task, user=staff_user)
            with pytest.raises(ServiceError, match="只有法制机构"):
                filing_receive(filing=filing, user=staff_user)
            filing = filing_receive(filing=filing, user=legal_user)
        assert filing.received_by == legal_user

    def test_the_ledger_follows_each_problem_to_its_closure(
        self, submitted, staff_user, leader_user, team_leader
    ):
        approved(submitted[0].task, staff_user, leader_user, team_leader)
        entry = LedgerEntry.objects.get()
        with pytest.raises(ServiceError, match="须移送司法机关"):
            ledger_update(entry=entry, user=staff_user, suspected_crime=True)
        with pytest.raises(ServiceError, match="写明接收机关"):
            ledger_update(entry=entry, user=staff_user, kind="transferred", suspected_crime=True)
        entry = ledger_update(
            entry=entry,
            user=staff_user,
            kind="transferred",
            suspected_crime=True,
            transferred_to="渝中区公安分局",
        )
        assert entry.suspected_crime and entry.transferred_to == "渝中区公安分局"
        entry = ledger_update(
            entry=entry,
            user=staff_user,
            kind="rectification",
            suspected_crime=False,
            due_on=dt.date(2026, 6, 30),
        )
        with clock(dt.date(2026, 6, 20)):
            with pytest.raises(ServiceError, match="整改情况或上传整改材料"):
                ledger_close(entry=entry, user=staff_user, closed_on=dt.date(2026, 6, 20))
            ledger_close(
                entry=entry,
                user=staff_user,
                closed_on=dt.date(2026, 6, 20),
                rectification="已在大厅公示收费标准",
                note="复查合格",
            )
            with pytest.raises(ServiceError, match="已销号"):
                ledger_update(entry=entry, user=staff_user, due_on=dt.date(2026, 7, 1))
        entry.refresh_from_db()
        assert entry.is_closed and entry.closing_note == "复查合格"
