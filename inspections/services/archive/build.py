"""The complete archive of a task (Y3.5: records, evidence and outcomes archived completely and
accurately; N10(6): what is filed with the legal-affairs office): a ZIP with every submitted check
record version (PDF), the report (PDF), the feedback letters (PDF) and proofs of delivery, the
follow-up ledger's evidence, the draw documents (JSON, every draw of the task including superseded
ones, byte for byte as published at /draws/<id>.json, with the verifier), the evidence files and
signature images, and `manifest.json` listing every file with its SHA-256 and size.

A PDF that was never rendered (or whose file is gone) is rendered now, synchronously. A PDF is a
rendering of the database, so one whose bytes no longer match its stored hash is rendered again
and counted; an evidence file or a signature that no longer matches the SHA-256 taken at upload is
primary data and stops the export (ServiceError) — an archive must not carry a changed file.

The manifest holds no export time and no filing data, so exporting unchanged data again gives the
same manifest: its SHA-256 identifies what was archived (Filing.manifest_sha256). The targets and
their teams are named as the submitted check records froze them (issue 12 §1), so renaming an
institution afterwards changes nothing. Once the task is filed, the manifest is kept with the filing
byte for byte (Filing.manifest_json): a later export checks every file against it and writes it
again, so the archive of a filed task always proves itself against the filing — or the export
stops, naming what differs.
"""

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.conf import settings
from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.models import (
    CheckRecord,
    Draw,
    Evidence,
    Filing,
    Inspection,
    InspectionReport,
    InspectionTask,
)
from inspections.services import documents
from inspections.services.draws import draw_document

FORMAT = "shuangsuiji-archive/1"
VERIFIER = Path(settings.BASE_DIR) / "tools" / "verify_draw.py"
CHUNK = 1024 * 1024
UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


@dataclass
class ArchiveResult:
    """What was written: the manifest, its SHA-256, and the PDFs rendered for the export."""

    manifest: dict
    manifest_sha256: str
    rendered: list[str] = field(default_factory=list)
    bytes_written: int = 0


class _Writer:
    """Adds files to the ZIP once each, hashing them as they are copied."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict] = []
        self._by_source: dict[str, str] = {}

    def add_bytes(self, path: str, data: bytes, kind: str) -> str:
        compress = zipfile.ZIP_DEFLATED if path.endswith((".json", ".py")) else zipfile.ZIP_STORED
        self.archive.writestr(self._info(path, compress), data)
        self._list(path, hashlib.sha256(data).hexdigest(), len(data), kind)
        return path

    def add_file(self, path: str, file: FieldFile, kind: str, expected_sha256: str = "") -> str:
        """Copy a stored file (once: a file shared by two rows is archived once). With
        `expected_sha256`, a file whose bytes differ is refused."""
        if file.name in self._by_source:
            return self._by_source[file.name]
        digest, size = hashlib.sha256(), 0
        with (
            file.storage.open(file.name, "rb") as source,
            self.archive.open(self._info(path, zipfile.ZIP_STORED), "w") as target,
        ):
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        sha = digest.hexdigest()
        if expected_sha256 and sha != expected_sha256:
            raise ServiceError(
                _(
                    "文件 %(name)s 的 SHA-256 与上传时登记的不一致，文件可能已被改动，未导出归档。请核查存储中的该文件。"
                )
                % {"name": file.name},
                code="hash_mismatch",
            )
        self._by_source[file.name] = path
        self._list(path, sha, size, kind)
        return path

    def _info(self, path: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    def _list(self, path: str, sha: str, size: int, kind: str) -> None:
        self.files.append({"path": path, "sha256": sha, "size": size, "kind": kind})


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


# -- the parts ---------------------------------------------------------------------------------------
def _iso(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat() if hasattr(value, "hour") else value.isoformat()


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


def _pdf(
    instance, file_field: str, sha_field: str, render, label: str, result: ArchiveResult
) -> FieldFile:
    """The stored PDF, rendered now if it is missing or no longer matches its hash."""
    file: FieldFile = getattr(instance, file_field)
    sha = documents.stored_sha256(file.storage, file.name)
    if sha is None or sha != getattr(instance, sha_field):
        render()
        result.rendered.append(label)
        file = getattr(instance, file_field)
    return file


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


def _inspections(task: InspectionTask):
    records = CheckRecord.objects.filter(status=CheckRecord.Status.SUBMITTED).order_by("version")
    return (
        Inspection.objects.filter(task=task)
        .select_related("institution", "feedback", "result")
        .prefetch_related(
            "members__inspector",
            Prefetch("records", records.select_related("correction_of")),
            Prefetch("records__evidence", Evidence.objects.order_by("uploaded_at", "pk")),
            "records__signatures",
            "ledger_entries",
        )
        .order_by("selection__draw__number", "selection__order", "pk")
    )


def _safe(name: str) -> str:
    return UNSAFE.sub("_", name).strip(" .") or "file"


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def _frozen_names(inspection: Inspection) -> tuple[dict, list[dict]]:
    """The target and the team as the latest submitted record froze them (live data when there
    is none)."""
    records = [r for r in inspection.records.all() if r.snapshot]
    if records:
        snapshot = records[-1].snapshot
        institution, members = snapshot["institution"], snapshot["members"]
    else:
        institution = {
            "name": inspection.institution.name,
            "credit_code": inspection.institution.credit_code,
        }
        members = [
            {
                "position": m.position,
                "name": m.inspector.name,
                "certificate_number": m.inspector.certificate_number,
                "borrowed": m.borrowed,
            }
            for m in inspection.members.all()
        ]
    team = [
        {k: m[k] for k in ("position", "name", "certificate_number", "borrowed")} for m in members
    ]
    return {"name": institution["name"], "credit_code": institution["credit_code"]}, team


def _inspection(n: int, inspection: Inspection, writer: _Writer, result: ArchiveResult) -> dict:
    institution, team = _frozen_names(inspection)
    folder = f"inspections/{n:03d}-{_safe(institution['credit_code'])}"
    row = {
        "id": inspection.pk,
        "institution": institution,
        "status": inspection.status,
        "team": team,
        "records": [_record(folder, r, writer, result) for r in inspection.records.all()],
    }
    target = getattr(inspection, "result", None)
    if target is not None:
        row["result"] = {
            "category": target.category,
            "case_number": target.case_number,
            "receiving_authority": target.receiving_authority,
        }
    feedback = getattr(inspection, "feedback", None)
    if feedback is not None:
        row["feedback"] = _feedback(folder, feedback, writer, result)
    row["ledger"] = [
        {
            "id": entry.pk,
            "kind": entry.kind,
            "due_on": _iso(entry.due_on),
            "closed_on": _iso(entry.closed_on),
            "evidence": writer.add_file(
                f"{folder}/ledger/L{entry.pk}-evidence{_suffix(entry.evidence.name)}",
                entry.evidence,
                "ledger_evidence",
            )
            if entry.evidence
            else None,
        }
        for entry in inspection.ledger_entries.all()
    ]
    return row


def _record(folder: str, record: CheckRecord, writer: _Writer, result: ArchiveResult) -> dict:
    pdf = _pdf(
        record,
        "pdf",
        "pdf_sha256",
        lambda: documents.record_pdf_render(record=record),
        _("%(target)s 检查记录第 %(v)s 版")
        % {"target": record.inspection.institution, "v": record.version},
        result,
    )
    prefix = f"{folder}/record-v{record.version}"
    return {
        "id": record.pk,
        "version": record.version,
        "submitted_at": _iso(record.submitted_at),
        "correction_of_version": record.correction_of.version if record.correction_of else None,
        "correction_reason": record.correction_reason,
        "pdf": writer.add_file(f"{prefix}.pdf", pdf, "record"),
        "evidence": [
            {
                "id": e.pk,
                "original_name": e.original_name,
                "content_type": e.content_type,
                "path": writer.add_file(
                    f"{folder}/evidence/E{e.pk}-{_safe(e.original_name)}",
                    e.file,
                    "evidence",
                    expected_sha256=e.sha256,
                ),
            }
            for e in record.evidence.all()
        ],
        "signatures": [
            {
                "id": s.pk,
                "role": s.role,
                "name": s.name,
                "signed_at": _iso(s.signed_at),
                "path": writer.add_file(
                    f"{prefix}-signatures/S{s.pk}-{s.role}{_suffix(s.image.name) or '.png'}",
                    s.image,
                    "signature",
                    expected_sha256=s.sha256,
                ),
            }
            for s in record.signatures.all()
        ],
    }


def _feedback(folder: str, feedback, writer: _Writer, result: ArchiveResult) -> dict:
    letter = _pdf(
        feedback,
        "letter",
        "letter_sha256",
        lambda: documents.feedback_letter_render(feedback=feedback),
        _("%(target)s 结果反馈函") % {"target": feedback.inspection.institution},
        result,
    )
    return {
        "method": feedback.method,
        "delivered_on": _iso(feedback.delivered_on),
        "letter": writer.add_file(f"{folder}/feedback-letter.pdf", letter, "feedback_letter"),
        "proof": writer.add_file(
            f"{folder}/feedback-proof{_suffix(feedback.proof.name)}",
            feedback.proof,
            "feedback_proof",
        )
        if feedback.proof
        else None,
    }
