"""What was signed never changes (issue 12 §1; Y3.5: archived completely and accurately). The
check records, the report and the letters of a filed task render from what was frozen when they
were submitted, approved and sent: rename the institution by import, reword a check item, correct
an inspector's name, change the bureau's name — then run every render path again (the Celery
tasks twice, as a redelivered message does; the archive export; the admin's archive download):
the stored bytes and hashes stay identical, the filing's manifest still proves the archive, and a
lost file comes back byte for byte."""

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from inspections.models import CheckRecord, Feedback, Filing, Inspection, InspectionReport
from inspections.services.reports import filing_submit
from inspections.tasks import (
    feedback_letter_render_task,
    record_pdf_render_task,
    report_pdf_render_task,
)
from registry.models import CheckItem, Inspector, Institution
from tests.inspections import pdf_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]
RENAMED = "重庆改名后律师事务所"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def filed(executed, staff_user, leader_user, check_items):
    """Every record submitted, the report approved, every letter sent, the task filed (which
    renders every PDF for the archive's manifest)."""
    task = executed.task
    inspections = list(task.inspections.exclude(status=Inspection.Status.CANCELLED))
    for inspection in inspections:
        pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=1)
    pdf_data.report_make(task, user=staff_user, leader=leader_user)
    for inspection in inspections:
        pdf_data.feedback_make(inspection, user=staff_user)
    filing_submit(task=task, user=staff_user)
    return task


def documents_of(task) -> dict[str, tuple[str, bytes]]:
    """Every stored document of the task: name → (recorded hash, bytes on disk)."""
    rows = [
        *(("pdf", "pdf_sha256", r) for r in CheckRecord.objects.filter(inspection__task=task)),
        *(("pdf", "pdf_sha256", r) for r in InspectionReport.objects.filter(task=task)),
        *(("letter", "letter_sha256", f) for f in Feedback.objects.filter(inspection__task=task)),
    ]
    out = {}
    for file_field, sha_field, row in rows:
        file = getattr(row, file_field)
        assert file, f"{row} has no document"
        with file.storage.open(file.name, "rb") as handle:
            out[file.name] = (getattr(row, sha_field), handle.read())
    return out


def rename_everything(task, settings, tmp_path) -> Institution:
    """What an office changes later: the institution by import, the items, an inspector, the
    bureau's own name."""
    institution = task.inspections.first().institution
    csv = tmp_path / "rename.csv"
    csv.write_text(
        "统一社会信用代码,机构名称,行业,辖区代码,执业许可证号,负责人,地址,状态,成立日期\n"
        f"{institution.credit_code},{RENAMED},律师,{institution.jurisdiction.code},"
        f"{institution.licence_number},新负责人,新地址1号,执业,\n",
        encoding="utf-8",
    )
    call_command("import_registry", "institutions", str(csv), stdout=io.StringIO())
    institution.refresh_from_db()
    assert institution.name == RENAMED
    CheckItem.objects.update(name="改写后的检查事项")
    Inspector.objects.filter(pk=task.inspections.first().members.first().inspector_id).update(
        name="改名的检查员"
    )
    settings.BUREAU_NAME = "另一个司法局"
    return institution


def text_of(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_renaming_and_rendering_again_rewrites_nothing(filed, settings, tmp_path, admin_client):
    before = documents_of(filed)
    original_name = filed.inspections.first().institution.name
    rename_everything(filed, settings, tmp_path)

    for _run in range(2):  # a retry, a redelivered message
        for record in CheckRecord.objects.filter(inspection__task=filed):
            record_pdf_render_task(record.pk)
        report_pdf_render_task(InspectionReport.objects.get(task=filed).pk)
        for feedback in Feedback.objects.filter(inspection__task=filed):
            feedback_letter_render_task(feedback.pk)
    out = tmp_path / "archive.zip"
    call_command("export_archive", str(filed.pk), str(out), stdout=io.StringIO())
    response = admin_client.get(reverse("admin:inspections_task_archive", args=[filed.pk]))
    downloaded = b"".join(response.streaming_content)

    after = documents_of(filed)
    assert after == before  # same names, same recorded hashes, same bytes
    for sha, data in after.values():
        assert hashlib.sha256(data).hexdigest() == sha
    # The filing's manifest still proves the archive, exported or downloaded.
    filing = Filing.objects.get(task=filed)
    for data in (out.read_bytes(), downloaded):
        manifest = zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")
        assert hashlib.sha256(manifest).hexdigest() == filing.manifest_sha256
    # And the documents still say what was signed.
    record = CheckRecord.objects.filter(inspection=filed.inspections.first()).get()
    text = text_of(after[record.pdf.name][1], tmp_path)
    assert original_name in text and RENAMED not in text
    assert "另一个司法局" not in text


def test_a_lost_document_comes_back_byte_for_byte_after_a_rename(filed, settings, tmp_path):
    before = documents_of(filed)
    rename_everything(filed, settings, tmp_path)
    record = CheckRecord.objects.filter(inspection__task=filed).first()
    letter = Feedback.objects.filter(inspection__task=filed).first()
    Path(record.pdf.path).unlink()
    Path(letter.letter.path).unlink()
    report = InspectionReport.objects.get(task=filed)
    Path(report.pdf.path).unlink()

    record_pdf_render_task(record.pk)
    feedback_letter_render_task(letter.pk)
    report_pdf_render_task(report.pk)

    assert documents_of(filed) == before


def test_the_snapshot_is_what_was_signed(filed):
    record = CheckRecord.objects.filter(inspection__task=filed).first()
    snapshot = record.snapshot
    assert snapshot["format"] == "shuangsuiji-snapshot/1"
    assert snapshot["institution"]["credit_code"] == record.inspection.institution.credit_code
    assert [m["certificate_number"] for m in snapshot["members"]] == [
        m.inspector.certificate_number for m in record.inspection.members.order_by("position")
    ]
    assert [i["name"] for i in snapshot["items"]] == [
        i.check_item.name for i in record.items.order_by("order")
    ]
    assert {e["sha256"] for e in snapshot["evidence"]} == set(
        record.evidence.values_list("sha256", flat=True)
    )
    assert json.loads(json.dumps(snapshot)) == snapshot  # plain JSON


def test_a_filed_archive_whose_files_changed_is_refused(filed, tmp_path):
    evidence = CheckRecord.objects.filter(inspection__task=filed).first().evidence.first()
    Path(evidence.file.path).write_bytes(b"\xff\xd8\xff another photo")

    with pytest.raises(Exception, match="SHA-256"):
        call_command("export_archive", str(filed.pk), str(tmp_path / "a.zip"))
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.postgres
def test_a_database_of_the_previous_release_keeps_verifying(filed, tmp_path):
    """Rows locked before snapshots existed (as a database of the previous release has them: no
    snapshot, the filing without its manifest text) get theirs from migration 0010, and the filed
    archive still exports with the manifest hash the filing recorded."""
    import importlib

    from django.apps import apps as global_apps

    fill = importlib.import_module("inspections.migrations.0010_fill_document_snapshots").fill
    before = documents_of(filed)
    filing = Filing.objects.get(task=filed)
    # What the previous release left (its guards were not there): triggers off, in this
    # transaction only.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        CheckRecord.objects.filter(inspection__task=filed).update(snapshot=None)
        InspectionReport.objects.filter(task=filed).update(snapshot=None)
        Feedback.objects.filter(inspection__task=filed).update(snapshot=None)
        Filing.objects.filter(pk=filing.pk).update(manifest_json="")
        cursor.execute("SET LOCAL session_replication_role = origin")

    fill(global_apps, None)

    assert not CheckRecord.objects.filter(inspection__task=filed, snapshot__isnull=True).exists()
    out = tmp_path / "after-upgrade.zip"
    call_command("export_archive", str(filed.pk), str(out), stdout=io.StringIO())
    manifest = zipfile.ZipFile(out).read("manifest.json")
    assert hashlib.sha256(manifest).hexdigest() == filing.manifest_sha256
    assert documents_of(filed) == before
