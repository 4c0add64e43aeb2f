"""The archive of a task (Y3.5: records, evidence and outcomes archived completely and accurately;
N10(6)): `manage.py export_archive` end to end — every record version, the report, the letters,
every draw (the superseded one too) byte for byte as published, the evidence, and a manifest whose
hashes match the files; `--list`; errors that write nothing; the admin download."""

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from core.models import AuditEvent
from inspections.models import CheckRecord, Evidence, Inspection
from inspections.services.draws import draw_execute, draw_redraw
from tests.factories import UserFactory
from tests.inspections import pdf_data
from tests.inspections.conftest import EXECUTE_HOUR, REDRAW_DAY, REDRAW_SOURCES, VALUES, clock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def redrawn(executed, staff_user, leader_user):
    """The first draw superseded by a second one (its inspections cancelled)."""
    new = draw_redraw(
        draw=executed,
        reason="抽中对象中有一家已于抽取前注销。",
        requested_by=staff_user,
        approved_by=leader_user,
        sources=REDRAW_SOURCES,
    )
    with clock(REDRAW_DAY, EXECUTE_HOUR):
        return draw_execute(draw=new, values=VALUES, user=staff_user)


@pytest.fixture
def finished(redrawn, staff_user, leader_user, check_items):
    """Records (the first target's corrected once), the report, feedback for everyone; no PDF
    rendered yet — the export renders what is missing."""
    task = redrawn.task
    inspections = list(task.inspections.exclude(status=Inspection.Status.CANCELLED))
    first = None
    for inspection in inspections:
        record = pdf_data.record_make(inspection, user=staff_user, check_items=check_items)
        first = first or record
    pdf_data.record_make(
        inspections[0],
        user=staff_user,
        check_items=check_items,
        photos=1,
        version=2,
        correction_of=first,
        correction_reason="检查地点填写错误。",
    )
    pdf_data.report_make(task, user=staff_user, leader=leader_user)
    for inspection in inspections:
        pdf_data.feedback_make(inspection, user=staff_user)
    return task


def export(task, path: Path) -> tuple[dict, zipfile.ZipFile]:
    call_command("export_archive", str(task.pk), str(path), stdout=io.StringIO())
    archive = zipfile.ZipFile(path)
    return json.loads(archive.read("manifest.json")), archive


class TestExport:
    def test_manifest_hashes_and_sizes_match_every_file(self, finished, tmp_path):
        manifest, archive = export(finished, tmp_path / "out.zip")

        listed = {f["path"]: f for f in manifest["files"]}
        assert set(archive.namelist()) == {*listed, "manifest.json"}  # nothing unlisted
        for path, entry in listed.items():
            data = archive.read(path)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], path
            assert len(data) == entry["size"], path
        assert archive.testzip() is None
        assert manifest["task"]["id"] == finished.pk
        assert manifest["task"]["name"] == finished.name
        assert manifest["task"]["status"] == "approved"

    def test_every_record_version_the_report_and_the_letters(self, finished, tmp_path):
        manifest, archive = export(finished, tmp_path / "out.zip")

        records = CheckRecord.objects.filter(inspection__task=finished)
        archived = [r for i in manifest["inspections"] for r in i["records"]]
        assert sorted(r["id"] for r in archived) == sorted(records.values_list("pk", flat=True))
        assert sorted(r["version"] for r in archived) == [1, 1, 1, 1, 2]
        for row in archived:  # the PDFs rendered for the export are the stored ones
            record = records.get(pk=row["id"])
            assert archive.read(row["pdf"]) == record.pdf.read()
            assert record.pdf_sha256 == hashlib.sha256(archive.read(row["pdf"])).hexdigest()
        correction = next(r for r in archived if r["version"] == 2)
        assert correction["correction_reason"] == "检查地点填写错误。"
        assert correction["correction_of_version"] == 1
        assert archive.read(manifest["report"]["pdf"]).startswith(b"%PDF")
        live = [i for i in manifest["inspections"] if i["status"] != "cancelled"]
        assert live and all(i["feedback"]["letter"].endswith(".pdf") for i in live)
        assert all(i["result"]["category"] for i in live)

    def test_evidence_and_signatures_byte_for_byte(self, finished, tmp_path):
        manifest, archive = export(finished, tmp_path / "out.zip")

        archived = {
            e["id"]: e["path"]
            for i in manifest["inspections"]
            for r in i["records"]
            for e in r["evidence"]
        }
        evidence = Evidence.objects.filter(record__inspection__task=finished)
        assert set(archived) == set(evidence.values_list("pk", flat=True))
        for item in evidence:
            assert hashlib.sha256(archive.read(archived[item.pk])).hexdigest() == item.sha256
        signatures = [
            s for i in manifest["inspections"] for r in i["records"] for s in r["signatures"]
        ]
        assert len(signatures) == 5 * 3  # five records, two inspectors and the target each

    def test_every_draw_as_published_with_the_verifier(self, finished, redrawn, client, tmp_path):
        manifest, archive = export(finished, tmp_path / "out.zip")

        assert [d["number"] for d in manifest["draws"]] == [1, 2]
        assert manifest["draws"][0]["superseded_at"] is not None
        for row in manifest["draws"]:
            published = b"".join(
                client.get(reverse("inspections:draw_json", args=[row["id"]])).streaming_content
            )
            assert archive.read(row["document"]) == published
        # The archived document verifies offline with the archived verifier.
        folder = tmp_path / "unzipped"
        archive.extractall(folder)
        done = subprocess.run(
            [sys.executable, str(folder / "task/draws/verify_draw.py")]
            + [str(folder / manifest["draws"][1]["document"])],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def test_the_same_data_gives_the_same_manifest(self, finished, tmp_path):
        manifest, _archive = export(finished, tmp_path / "one.zip")
        again, _archive = export(finished, tmp_path / "two.zip")

        assert again == manifest  # its hash can stand for what was filed (N10(6))

    def test_a_changed_evidence_file_stops_the_export(self, finished, tmp_path):
        evidence = Evidence.objects.filter(record__inspection__task=finished).first()
        with open(evidence.file.path, "ab") as handle:
            handle.write(b"tampered")
        out = tmp_path / "out.zip"

        with pytest.raises(CommandError, match="SHA-256 与上传时登记的不一致"):
            call_command("export_archive", str(finished.pk), str(out))

        assert [p.name for p in tmp_path.iterdir()] == ["media"]  # not even the partial file

    def test_a_lost_pdf_is_rendered_again_byte_for_byte(self, finished, tmp_path, capsys):
        export(finished, tmp_path / "one.zip")
        record = CheckRecord.objects.filter(inspection__task=finished).first()
        before = record.pdf.read()
        Path(record.pdf.path).unlink()

        call_command("export_archive", str(finished.pk), str(tmp_path / "two.zip"))

        assert "已补生成 PDF" in capsys.readouterr().out
        record.refresh_from_db()
        assert record.pdf.read() == before  # from the frozen snapshot: the same bytes

    def test_a_changed_signed_pdf_stops_the_export_and_stays(self, finished, tmp_path):
        export(finished, tmp_path / "one.zip")
        record = CheckRecord.objects.filter(inspection__task=finished).first()
        Path(record.pdf.path).write_bytes(b"%PDF-1.7 not the rendering")

        with pytest.raises(CommandError, match="SHA-256 不一致"):
            call_command("export_archive", str(finished.pk), str(tmp_path / "two.zip"))

        assert not (tmp_path / "two.zip").exists()
        # Never overwritten: what is on the disk is for someone to look into.
        assert Path(record.pdf.path).read_bytes() == b"%PDF-1.7 not the rendering"


class TestCommandLine:
    def test_list_shows_id_status_and_name(self, finished, capsys):
        call_command("export_archive", "--list")

        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split("\t") == ["编号", "状态", "名称"]
        row = next(line.split("\t") for line in lines[1:] if line.startswith(f"{finished.pk}\t"))
        assert row[2] == finished.name
        assert "已审批" in row[1] and "报告：分管领导已审批" in row[1]

    @pytest.mark.postgres  # the command runs in a process of its own, on the test database
    def test_an_unknown_task_exits_non_zero_and_writes_nothing(self, tmp_path):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        }
        out = tmp_path / "out.zip"
        done = subprocess.run(
            [sys.executable, "manage.py", "export_archive", "987654", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert done.returncode == 2
        assert "检查任务 987654 不存在" in done.stderr
        assert list(tmp_path.iterdir()) == []

    def test_an_unwritable_path_fails_cleanly(self, finished, tmp_path):
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            for out in (tmp_path / "missing-folder" / "out.zip", locked / "out.zip"):
                if out.parent == locked and os.access(locked, os.W_OK):
                    continue  # running as root: permissions do not stop us
                with pytest.raises(CommandError, match="无法写入") as failure:
                    call_command("export_archive", str(finished.pk), str(out))
                assert failure.value.returncode == 1
                assert not out.exists()
            with pytest.raises(CommandError, match="是一个目录"):
                call_command("export_archive", str(finished.pk), str(tmp_path))
        finally:
            locked.chmod(0o700)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["locked", "media"]
        assert list(locked.iterdir()) == []


class TestAdminDownload:
    def test_the_office_downloads_the_archive(self, finished, staff_client):
        page = staff_client.get(
            reverse("admin:inspections_inspectiontask_change", args=[finished.pk])
        )
        url = reverse("admin:inspections_task_archive", args=[finished.pk])
        assert url in page.content.decode()

        response = staff_client.get(url)

        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert f"archive-task-{finished.pk}.zip" in response["Content-Disposition"]
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["task"]["id"] == finished.pk
        # Issue 14 §3: an archive export is an entry of the security audit trail.
        event = AuditEvent.objects.filter(action=AuditEvent.Action.ARCHIVE_EXPORTED).get()
        assert (event.username, event.target_model, event.target_id) == (
            "staff",
            "inspections.inspectiontask",
            str(finished.pk),
        )
        assert len(event.detail["manifest_sha256"]) == 64

    def test_staff_without_the_view_permission_are_refused(self, finished, client):
        client.force_login(UserFactory(username="clerk", is_staff=True))

        response = client.get(reverse("admin:inspections_task_archive", args=[finished.pk]))

        assert response.status_code == 403
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.ARCHIVE_EXPORTED).exists()

    def test_inspectors_are_sent_to_the_login(self, finished, client, inspector_user):
        client.force_login(inspector_user)  # not staff: the admin is not theirs

        response = client.get(reverse("admin:inspections_task_archive", args=[finished.pk]))

        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
