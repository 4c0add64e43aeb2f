"""The archive of a task as a whole: the ZIP and its manifest (kept byte for byte once filed), the
task, its draw documents with the verifier, and the report; each inspection's part is in
archive.inspections."""

import hashlib
import json
import zipfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.models import Draw, Filing, InspectionReport, InspectionTask
from inspections.services import documents
from inspections.services.archive.inspections import _inspection, _inspections
from inspections.services.archive.writer import ArchiveResult, _iso, _pdf, _Writer
from inspections.services.draws import draw_document

FORMAT = "shuangsuiji-archive/1"
VERIFIER = Path(settings.BASE_DIR) / "tools" / "verify_draw.py"


def archive_filename(task: InspectionTask) -> str:
    return f"archive-task-{task.pk}.zip"


def archive_build(*, task: InspectionTask, file: BinaryIO) -> ArchiveResult:
    """Write the archive of `task` as a ZIP into `file` (a writable binary file). On error
    (ServiceError, OSError) the file holds an incomplete ZIP: the caller discards it."""
    filing = Filing.objects.filter(task=task).first()
    filed = filing.manifest_json if filing else ""
    result = ArchiveResult(manifest={}, manifest_sha256="")
    with zipfile.ZipFile(file, "w", allowZip64=True) as archive:
        writer = _Writer(archive)
        manifest = {
            "format": FORMAT,
            "bureau": settings.BUREAU_NAME,
            "task": _task_meta(task),
            "draws": _draws(task, writer),
            "report": _report(task, writer, result),
            "inspections": [
                _inspection(n, inspection, writer, result)
                for n, inspection in enumerate(_inspections(task), start=1)
            ],
        }
        manifest["files"] = writer.files
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        if filed:
            _same_files(json.loads(filed)["files"], writer.files)
            manifest, data = json.loads(filed), filed.encode()  # as filed, byte for byte
        archive.writestr(writer._info("manifest.json", zipfile.ZIP_DEFLATED), data)
    result.manifest = manifest
    result.manifest_sha256 = hashlib.sha256(data).hexdigest()
    result.bytes_written = file.tell()
    return result


def manifest_of(result: ArchiveResult) -> str:
    """The manifest's text exactly as written into the ZIP (what the filing keeps)."""
    return json.dumps(result.manifest, ensure_ascii=False, indent=2)


def _same_files(filed: list[dict], exported: list[dict]) -> None:
    """Every file of the filed manifest, with the same SHA-256, and nothing else."""
    before = {f["path"]: f["sha256"] for f in filed}
    after = {f["path"]: f["sha256"] for f in exported}
    problems = [
        _("%(path)s 与备案时不一致") % {"path": path}
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]
    if problems:
        raise ServiceError(
            _("归档与备案时的清单不符，未导出：%(problems)s")
            % {"problems": "；".join(problems[:10])},
            code="filing_mismatch",
        )


def _person(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


def _task_meta(task: InspectionTask) -> dict:
    return {
        "id": task.pk,
        "name": task.name,
        "kind": task.kind,
        "sector": str(task.sector),
        "jurisdictions": [
            {"code": j.code, "name": j.name} for j in task.jurisdictions.order_by("code")
        ],
        "starts_on": _iso(task.starts_on),
        "ends_on": _iso(task.ends_on),
        "status": task.status,
        "approved_by": _person(task.approved_by),
        "approved_at": _iso(task.approved_at),
    }


def _draws(task: InspectionTask, writer: _Writer) -> list[dict]:
    draws = list(Draw.objects.filter(task=task).order_by("number"))
    rows = []
    for draw in draws:
        # Exactly the bytes of /draws/<id>.json (inspections.views.public.DrawJsonView).
        data = json.dumps(draw_document(draw), ensure_ascii=False, separators=(",", ":")).encode()
        path = writer.add_bytes(f"task/draws/draw-{draw.number}-{draw.pk}.json", data, "draw")
        rows.append(
            {
                "id": draw.pk,
                "number": draw.number,
                "status": draw.status,
                "verifiable": draw.verifiable,
                "superseded_at": _iso(draw.superseded_at),
                "document": path,
            }
        )
    if draws:
        writer.add_bytes("task/draws/verify_draw.py", VERIFIER.read_bytes(), "verifier")
    return rows


def _report(task: InspectionTask, writer: _Writer, result: ArchiveResult) -> dict | None:
    report = InspectionReport.objects.filter(task=task).first()
    if report is None:
        return None
    pdf = _pdf(
        report,
        "pdf",
        "pdf_sha256",
        lambda: documents.report_pdf_render(report=report),
        _("抽查报告"),
        result,
    )
    return {
        "status": report.status,
        "team_approved_at": _iso(report.team_approved_at),
        "approved_at": _iso(report.approved_at),
        "pdf": writer.add_file("task/report.pdf", pdf, "report"),
    }
