"""Each inspection's part of the archive: the target and team as the records froze them, every
submitted record version (PDF, evidence, signatures), the result, the feedback and the ledger."""

import re
from pathlib import PurePosixPath

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from inspections.models import CheckRecord, Evidence, Inspection, InspectionTask
from inspections.services import documents
from inspections.services.archive.writer import ArchiveResult, _iso, _pdf, _Writer

UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


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
