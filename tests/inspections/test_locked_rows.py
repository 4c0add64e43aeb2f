"""Locked rows below the services (issue 12 §3; Y3.5, Y4(2)): submitted check records and their
items, evidence and signatures, approved reports and their results, sent feedback, filings,
closed ledger entries, published result notices and the publication log refuse UPDATE and DELETE
(and INSERT into a locked parent) through the ORM and plain SQL — PostgreSQL triggers — while
what the services still set once (the snapshot, the PDF and its hash, the legal office's receipt,
a withdrawal) goes through. And every change of these models is in a change history, with the
acting user — a command without --user records the system account, never nobody."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.history import SYSTEM_USERNAME
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Feedback,
    Filing,
    Inspection,
    InspectionReport,
    LedgerEntry,
    Signature,
    TargetResult,
)
from inspections.services.reports import filing_receive, filing_submit
from publication.models import Publication, ResultNotice
from publication.services import notice_publish_all, notice_withdraw
from registry.models import Institution
from tests.factories import UserFactory
from tests.inspections import pdf_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def record(executed, staff_user, check_items):
    inspection = executed.task.inspections.first()
    return pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=1)


@pytest.fixture
def reported(executed, staff_user, leader_user, check_items):
    """Every record submitted, the report approved, feedback sent for all."""
    task = executed.task
    for inspection in task.inspections.all():
        pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=0)
    report = pdf_data.report_make(task, user=staff_user, leader=leader_user)
    problem = CheckRecordItem.objects.filter(record__inspection__task=task, outcome="problem")
    for n, inspection in enumerate(task.inspections.all()):
        item = problem.filter(record__inspection=inspection).first() if n == 0 else None
        pdf_data.feedback_make(inspection, user=staff_user, rectify_item=item)
    return report


def refused():
    return pytest.raises(DatabaseError, match="locked|cannot")


def sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def orm(action) -> None:
    with transaction.atomic():
        action()


@pytest.mark.postgres
class TestSubmittedRecord:
    def test_the_record_cannot_be_changed_or_deleted(self, record):
        with refused():
            orm(lambda: CheckRecord.objects.filter(pk=record.pk).update(place="改"))
        with refused():
            sql("UPDATE inspections_checkrecord SET statement = 'x' WHERE id = %s", [record.pk])
        with refused():
            sql("DELETE FROM inspections_checkrecord WHERE id = %s", [record.pk])
        with refused():
            orm(lambda: CheckRecord.objects.filter(pk=record.pk).update(snapshot={"forged": 1}))
        record.refresh_from_db()
        assert record.place != "改" and record.snapshot["format"]

    def test_its_rows_cannot_be_changed_added_or_deleted(self, record, staff_user):
        item = record.items.first()
        evidence = record.evidence.first()
        signature = record.signatures.first()
        attacks = [
            lambda: CheckRecordItem.objects.filter(pk=item.pk).update(outcome="compliant"),
            lambda: CheckRecordItem.objects.filter(pk=item.pk).delete(),
            lambda: CheckRecordItem.objects.create(
                record=record, check_item=item.check_item, order=99
            ),
            lambda: Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64),
            lambda: Evidence.objects.filter(pk=evidence.pk).delete(),
            lambda: Evidence.objects.create(
                record=record,
                file=evidence.file.name,
                original_name="后补.jpg",
                content_type="image/jpeg",
                size=1,
                sha256="0" * 64,
                uploaded_by=staff_user,
            ),
            lambda: Signature.objects.filter(pk=signature.pk).update(name="别人"),
            lambda: Signature.objects.filter(pk=signature.pk).delete(),
            lambda: Signature.objects.create(
                record=record,
                role="representative",
                name="补签",
                image=signature.image.name,
                sha256="0" * 64,
                signed_at=timezone.now(),
            ),
        ]
        for attack in attacks:
            with refused():
                orm(attack)
        with refused():
            sql("DELETE FROM inspections_signature WHERE record_id = %s", [record.pk])
        assert record.items.count() == 2 and record.signatures.count() == 3

    def test_the_pdf_is_set_once(self, record):
        rows = CheckRecord.objects.filter(pk=record.pk)
        rows.update(pdf="records/2026/x.pdf", pdf_sha256="a" * 64)  # the renderer's one write
        with refused():
            orm(lambda: rows.update(pdf_sha256="b" * 64))
        with refused():
            orm(lambda: rows.update(pdf="", pdf_sha256=""))

    def test_a_draft_stays_editable(self, executed, staff_user, check_items):
        inspection = executed.task.inspections.first()
        draft = pdf_data.record_make(
            inspection, user=staff_user, check_items=check_items, photos=0, submitted=False
        )
        CheckRecord.objects.filter(pk=draft.pk).update(place="改")
        draft.items.update(finding="改")
        draft.signatures.first().delete()
        assert draft.signatures.count() == 2


@pytest.mark.postgres
class TestReportFeedbackFiling:
    def test_an_approved_report_and_its_results(self, reported):
        with refused():
            orm(lambda: InspectionReport.objects.filter(pk=reported.pk).update(findings="改"))
        with refused():
            orm(lambda: InspectionReport.objects.filter(pk=reported.pk).update(status="draft"))
        with refused():
            sql("DELETE FROM inspections_inspectionreport WHERE id = %s", [reported.pk])
        result = reported.results.first()
        with refused():
            orm(lambda: TargetResult.objects.filter(pk=result.pk).update(category="no_violation"))
        with refused():
            orm(lambda: TargetResult.objects.filter(pk=result.pk).delete())

    def test_sent_feedback(self, reported):
        feedback = Feedback.objects.filter(inspection__task=reported.task).first()
        with refused():
            orm(
                lambda: Feedback.objects.filter(pk=feedback.pk).update(delivered_on=dt.date.today())
            )
        with refused():
            orm(lambda: Feedback.objects.filter(pk=feedback.pk).delete())
        Feedback.objects.filter(pk=feedback.pk).update(letter="x.pdf", letter_sha256="c" * 64)
        with refused():
            orm(lambda: Feedback.objects.filter(pk=feedback.pk).update(letter_sha256="d" * 64))

    def test_a_filing_and_its_receipt(self, reported, staff_user, leader_user):
        filing = filing_submit(task=reported.task, user=staff_user)
        with refused():
            orm(lambda: Filing.objects.filter(pk=filing.pk).update(manifest_sha256="0" * 64))
        with refused():
            orm(lambda: Filing.objects.filter(pk=filing.pk).update(manifest_json="{}"))
        legal = UserFactory(username="legal")
        legal.user_permissions.add(*_perms("change_filing"))
        filing_receive(filing=filing, user=legal)  # set once, through the service
        with refused():
            orm(lambda: Filing.objects.filter(pk=filing.pk).update(received_by=leader_user))
        with refused():
            orm(lambda: Filing.objects.filter(pk=filing.pk).delete())

    def test_a_closed_ledger_entry(self, reported):
        entry = LedgerEntry.objects.filter(inspection__task=reported.task).first()
        LedgerEntry.objects.filter(pk=entry.pk).update(due_on=dt.date(2026, 7, 1))  # open: fine
        LedgerEntry.objects.filter(pk=entry.pk).update(
            closed_on=dt.date(2026, 7, 1), rectification="已整改"
        )
        with refused():
            orm(lambda: LedgerEntry.objects.filter(pk=entry.pk).update(closed_on=None))
        with refused():
            orm(lambda: LedgerEntry.objects.filter(pk=entry.pk).delete())


@pytest.mark.postgres
class TestPublished:
    @pytest.fixture
    def notice(self, reported, staff_user):
        return notice_publish_all(report=reported, user=staff_user)[0]

    def test_a_published_notice_keeps_what_was_published(self, notice, staff_user):
        rows = ResultNotice.objects.filter(pk=notice.pk)
        other = "no_violation" if notice.category != "no_violation" else "case_filed"
        for change in ({"target_name": "改"}, {"category": other}, {"items": []}):
            with refused():
                orm(lambda change=change: rows.update(**change))
        with refused():
            sql(
                "DELETE FROM publication_feeditem WHERE notice_id = %s; "
                "DELETE FROM publication_resultnotice WHERE id = %s",
                [notice.pk, notice.pk],
            )
        withdrawn = notice_withdraw(notice=notice, user=staff_user, reason="依法不予公开")
        assert withdrawn.status == ResultNotice.Status.WITHDRAWN
        with refused():
            orm(lambda: rows.update(status="published"))
        with refused():
            orm(lambda: rows.update(withdrawal_reason="改"))

    def test_the_publication_log_is_append_only(self, notice):
        entry = Publication.objects.first()
        with refused():
            orm(lambda: Publication.objects.filter(pk=entry.pk).update(title="改"))
        with refused():
            sql("DELETE FROM publication_publication WHERE id = %s", [entry.pk])


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)


class TestHistory:
    def test_fieldwork_report_and_publication_models_keep_a_history(self, reported, staff_user):
        task = reported.task
        notice_publish_all(report=reported, user=staff_user)
        for model in (
            Inspection,
            CheckRecord,
            CheckRecordItem,
            Evidence,
            Signature,
            InspectionReport,
            TargetResult,
            Feedback,
            LedgerEntry,
            ResultNotice,
            Publication,
        ):
            assert model.history.exists(), model.__name__
        record = CheckRecord.objects.filter(inspection__task=task).first()
        assert record.history.count() >= 1

    def test_a_command_without_user_records_the_system_account(self, executed, tmp_path):
        institution = Institution.objects.first()
        csv = tmp_path / "one.csv"
        csv.write_text(
            "统一社会信用代码,机构名称,行业,辖区代码,执业许可证号,负责人,地址,状态,成立日期\n"
            f"{institution.credit_code},新名字律师事务所,律师,{institution.jurisdiction.code},"
            f"{institution.licence_number},,,执业,\n",
            encoding="utf-8",
        )
        call_command("import_registry", "institutions", str(csv), stdout=io.StringIO())
        latest = institution.history.order_by("-history_id").first()
        assert latest.name == "新名字律师事务所"
        assert latest.history_user.username == SYSTEM_USERNAME
        assert not latest.history_user.is_active  # nobody logs in as the system
        log = Publication.objects.filter(kind=Publication.Kind.REGISTRY).latest("pk")
        assert log.by.username == SYSTEM_USERNAME

    def test_a_command_with_user_records_them(self, executed, tmp_path):
        office = UserFactory(username="office")
        institution = Institution.objects.first()
        csv = tmp_path / "one.csv"
        csv.write_text(
            "统一社会信用代码,机构名称,行业,辖区代码,执业许可证号,负责人,地址,状态,成立日期\n"
            f"{institution.credit_code},又一个名字律师事务所,律师,{institution.jurisdiction.code},"
            f"{institution.licence_number},,,执业,\n",
            encoding="utf-8",
        )
        call_command(
            "import_registry", "institutions", str(csv), "--user", "office", stdout=io.StringIO()
        )
        assert institution.history.order_by("-history_id").first().history_user == office
