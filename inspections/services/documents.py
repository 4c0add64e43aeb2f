"""The PDF documents: the check record (检查记录, Y3.3, Y3.5), the inspection report (抽查报告, N13,
N10(5)) and the feedback letter (结果反馈函, N14) — A4, the Chinese fonts embedded, "第 N 页 共 M
页", the bureau's name. Rendered in Celery tasks (inspections/tasks.py) and, for an archive missing
one, synchronously (inspections/services/archive/). The machinery is in pdf.py.

What was signed never changes (issue 12 §1). Each document renders from a snapshot of everything it
shows (inspections/services/snapshots.py): frozen on the row when the record is submitted, the
report approved, the letter sent; built afresh from the database while it is still a draft. Once
a frozen document is stored with its SHA-256, that file is never replaced — a retry, a
redelivered message, the archive export or the admin's download finds it and does nothing. A
stored file that is gone is rendered again from the snapshot and must give the very bytes of the
recorded hash (the output is deterministic: no creation date, no random identifier); a stored
file whose bytes changed is refused, never overwritten. A draft's document is rendered again
whenever asked, under its stable name; if its data changed while WeasyPrint was working, it is
rendered again under the row lock, so a slow render never stores a stale draft over a newer one.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.models import CheckRecord, Evidence, Feedback, InspectionReport, Signature
from inspections.services import snapshots
from inspections.services.pdf import (
    Images,
    Source,
    html_source,
    render,
    signature_image,
    thumbnail,
)

logger = logging.getLogger(__name__)

# A row or block with more characters than this may not fit on one page: it is allowed to split.
LONG_TEXT = 400


@dataclass(frozen=True)
class _Kind:
    """One kind of document: where it is stored, what it is made of."""

    file_field: str
    sha_field: str
    snapshot: Callable[[int], dict]
    source: Callable[[dict], Source]


# -- storing -----------------------------------------------------------------------------------------
def stored_sha256(storage, name: str) -> str | None:
    """SHA-256 of a stored file, None if there is none."""
    if not name or not storage.exists(name):
        return None
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _stored(instance: models.Model, kind: _Kind) -> tuple[dict | None, str, str]:
    row = type(instance).objects.filter(pk=instance.pk)
    return row.values_list("snapshot", kind.file_field, kind.sha_field).get()


def _keep(instance: models.Model, kind: _Kind, name: str, sha: str) -> None:
    setattr(instance, kind.file_field, name)
    setattr(instance, kind.sha_field, sha)


def _render_and_store(*, instance: models.Model, kind: _Kind, name: str) -> None:
    # Official documents are in Chinese whatever language the requesting user chose.
    with translation.override(settings.LANGUAGE_CODE):
        frozen, _stored_name, _stored_sha = _stored(instance, kind)
        if frozen is None:
            _render_draft(instance, kind, name)
        else:
            _render_frozen(instance, kind, name, frozen)


def _render_frozen(instance: models.Model, kind: _Kind, name: str, frozen: dict) -> None:
    storage = getattr(instance, kind.file_field).storage
    _snapshot, stored_name, stored_sha = _stored(instance, kind)
    if stored_sha:
        actual = stored_sha256(storage, stored_name)
        if actual == stored_sha:
            _keep(instance, kind, stored_name, stored_sha)
            return  # stored with its hash: never rendered again, never replaced
        if actual is not None:
            raise ServiceError(
                _(
                    "已存档的文书 %(name)s 与登记的 SHA-256 不一致，文件可能已被改动；文书不会被覆盖，请核查存储中的该文件。"
                )
                % {"name": stored_name},
                code="hash_mismatch",
            )
        pdf = render(kind.source(frozen))  # the file is gone: the same bytes again, or nothing
        if hashlib.sha256(pdf).hexdigest() != stored_sha:
            raise ServiceError(
                _(
                    "已存档的文书 %(name)s 已丢失，按冻结的快照重新生成的文件与登记的 SHA-256 不一致，未保存。请从备份中恢复该文件。"
                )
                % {"name": stored_name},
                code="not_reproducible",
            )
        saved = storage.save(stored_name, ContentFile(pdf))
        if saved != stored_name:  # storage.save never overwrites: another render restored it
            storage.delete(saved)
        _keep(instance, kind, stored_name, stored_sha)
        return
    pdf = render(kind.source(frozen))
    sha = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = type(instance).objects.select_for_update().filter(pk=instance.pk)
        locked.get()
        _snapshot, stored_name, stored_sha = _stored(instance, kind)
        if stored_sha:  # another worker stored it meanwhile: that one stays
            _keep(instance, kind, stored_name, stored_sha)
            return
        storage.delete(name)  # a draft's rendering under the stable name gives way
        saved = storage.save(name, ContentFile(pdf))
        locked.update(**{kind.file_field: saved, kind.sha_field: sha})
    _keep(instance, kind, saved, sha)


def _render_draft(instance: models.Model, kind: _Kind, name: str) -> None:
    source = kind.source(kind.snapshot(instance.pk))
    pdf = render(source)
    with transaction.atomic():
        model = type(instance)
        model.objects.select_for_update().filter(pk=instance.pk).get()
        frozen, stored_name, stored_sha = _stored(instance, kind)
        if frozen is None:
            fresh = kind.source(kind.snapshot(instance.pk))
            if fresh.html != source.html:
                logger.info("%s %s changed while rendering; rendered again", model.__name__, name)
                pdf = render(fresh)
            _store_draft(instance, kind, name, pdf, stored_name, stored_sha)
            return
    _render_frozen(instance, kind, name, frozen)  # frozen meanwhile (submitted, approved)


def _store_draft(instance, kind: _Kind, name: str, pdf: bytes, stored_name, stored_sha) -> None:
    sha = hashlib.sha256(pdf).hexdigest()
    storage = getattr(instance, kind.file_field).storage
    if stored_name == name and stored_sha == sha and stored_sha256(storage, name) == sha:
        _keep(instance, kind, name, sha)
        return  # the same bytes are already there under the same name: nothing to do
    storage.delete(name)  # the stable name is overwritten, not suffixed
    saved = storage.save(name, ContentFile(pdf))
    type(instance).objects.filter(pk=instance.pk).update(
        **{kind.file_field: saved, kind.sha_field: sha}
    )
    _keep(instance, kind, saved, sha)


# -- helpers of the templates ------------------------------------------------------------------------
def _paragraphs(**texts: str) -> dict[str, list[str]]:
    """Each text as its paragraphs (one per line), so each gets the first-line indent of Chinese
    prose; blank lines dropped."""
    return {
        name: [line.strip() for line in text.splitlines() if line.strip()]
        for name, text in texts.items()
    }


def _long(*texts: str) -> bool:
    return sum(len(t or "") for t in texts) > LONG_TEXT


def _rows_of(cells: list, width: int) -> list[list]:
    """`cells` in rows of `width`, the last padded with None (a table keeps its grid)."""
    rows = [cells[i : i + width] for i in range(0, len(cells), width)]
    if rows:
        rows[-1] += [None] * (width - len(rows[-1]))
    return rows


def _year(moment) -> int:
    return timezone.localtime(moment).year if moment else timezone.localdate().year


def _storage(model: type[models.Model], field: str):
    return model._meta.get_field(field).storage


# -- the check record ------------------------------------------------------------------------------
def record_pdf_name(record: CheckRecord) -> str:
    return f"records/{_year(record.created_at)}/record-{record.inspection_id}-v{record.version}.pdf"


def record_pdf_render(*, record: CheckRecord) -> CheckRecord:
    """Render the check record (any version; a draft is marked as one) and store it."""
    _render_and_store(instance=record, kind=RECORD, name=record_pdf_name(record))
    return record


def _record_source(snapshot: dict) -> Source:
    snap = snapshots.revive(snapshot)
    images = Images()
    evidence_storage = _storage(Evidence, "file")
    evidence = []
    for e in snap["evidence"]:
        is_image = e["content_type"].startswith("image/")
        maker = partial(thumbnail, evidence_storage, e["file"], e["sha256"])
        evidence.append(
            {"evidence": e, "src": images.add(f"e{e['id']}", maker) if is_image else None}
        )
    by_item: dict[int | None, list[dict]] = {}
    for row in evidence:
        by_item.setdefault(row["evidence"]["item_id"], []).append(row)
    items = [
        {
            "item": item,
            "evidence": by_item.get(item["id"], []),
            "long": _long(item["finding"], item["not_applicable_reason"]),
        }
        for item in snap["items"]
    ]
    signature_storage = _storage(Signature, "image")
    signatures = [
        {
            "signature": s,
            "src": images.add(
                f"s{s['id']}", partial(signature_image, signature_storage, s["file"], s["sha256"])
            ),
        }
        for s in snap["signatures"]
    ]
    record = snap["record"]
    reference = _("检查记录 编号 %(number)s") % {"number": snap["number"]}
    context = {
        "record": record,
        "institution": snap["institution"],
        "task": snap["task"],
        "members": snap["members"],
        "items": items,
        "other_evidence": by_item.get(None, []),
        "evidence": evidence,
        "signature_rows": _rows_of(
            [s for s in signatures if s["signature"]["role"] == Signature.Role.INSPECTOR], 3
        ),
        "representative_signature": next(
            (s for s in signatures if s["signature"]["role"] == Signature.Role.REPRESENTATIVE),
            None,
        ),
        "submitted_by": snap["submitted_by"],
        "correction_long": _long(record["correction_reason"]),
        "procedure_long": _long(record["statement"], record["questions"], record["summary"]),
        "number": snap["number"],
    }
    return html_source("record.html", context, images, bureau=snap["bureau"], reference=reference)


# -- the inspection report (N13, N10(5)) ---------------------------------------------------------------
def report_pdf_name(report: InspectionReport) -> str:
    return f"reports/{_year(report.drafted_at)}/report-task-{report.task_id}.pdf"


def report_pdf_render(*, report: InspectionReport) -> InspectionReport:
    """Render the inspection report (a report not yet approved is marked so) and store it."""
    _render_and_store(instance=report, kind=REPORT, name=report_pdf_name(report))
    return report


def _report_source(snapshot: dict) -> Source:
    snap = snapshots.revive(snapshot)
    report = snap["report"]
    results = [
        {"result": result, "long": _long(result["evaluation"], result["handling"])}
        for result in snap["results"]
    ]
    reference = _("抽查报告 任务编号 %(task)s") % {"task": snap["task"]["id"]}
    name = snap["task"]["name"]
    # "……抽查" + "抽查报告" would say 抽查 twice.
    title = name + _("报告") if name.endswith("抽查") else _("%(task)s抽查报告") % {"task": name}
    context = {
        "title": title,
        "report": report,
        "paragraphs": _paragraphs(
            content=report["content"],
            findings=report["findings"],
            evaluation=report["evaluation"],
            handling=report["handling"],
        ),
        "task": snap["task"],
        "results": results,
        "drafted_by": snap["drafted_by"],
        "team_approved_by": snap["team_approved_by"],
        "approved_by": snap["approved_by"],
    }
    return html_source("report.html", context, Images(), bureau=snap["bureau"], reference=reference)


# -- the feedback letter (N14) ------------------------------------------------------------------------
def feedback_letter_name(feedback: Feedback) -> str:
    # Not in feedback/<year>/, where the proofs of delivery are uploaded under their own names.
    return f"feedback/letters/{_year(feedback.recorded_at)}/letter-{feedback.inspection_id}.pdf"


def feedback_letter_render(*, feedback: Feedback) -> Feedback:
    """Render the letter feeding the result back to the target (N14) and store it. The target's
    result must have been set in the report (one of the three categories of Y3.6)."""
    _render_and_store(instance=feedback, kind=FEEDBACK, name=feedback_letter_name(feedback))
    return feedback


def _feedback_source(snapshot: dict) -> Source:
    snap = snapshots.revive(snapshot)
    result = snap["result"]
    if not result["category"]:
        raise ServiceError(
            _("%(target)s 的检查结果尚未在抽查报告中确定，不能生成反馈函（N14）。")
            % {"target": snap["institution"]["name"]},
            code="no_result",
        )
    items = snap["items"]
    reference = _("反馈函 检查编号 %(inspection)s") % {"inspection": snap["inspection_id"]}
    context = {
        "feedback": snap["feedback"],
        "institution": snap["institution"],
        "task": snap["task"],
        "result": result,
        "paragraphs": _paragraphs(evaluation=result["evaluation"], handling=result["handling"]),
        "report": snap["report"],
        "record": snap["record"],
        "items": items,
        "problems": [i for i in items if i["outcome"] == "problem"],
        "ledger": snap["ledger"],
    }
    return html_source(
        "feedback_letter.html", context, Images(), bureau=snap["bureau"], reference=reference
    )


RECORD = _Kind("pdf", "pdf_sha256", snapshots.record_snapshot, _record_source)
REPORT = _Kind("pdf", "pdf_sha256", snapshots.report_snapshot, _report_source)
FEEDBACK = _Kind("letter", "letter_sha256", snapshots.feedback_snapshot, _feedback_source)


def document_freeze(instance: CheckRecord | InspectionReport | Feedback) -> dict:
    """Freeze what the document of `instance` shows, now: called by the services in the
    transaction that submits the record, approves the report or records the feedback as sent."""
    kind = {CheckRecord: RECORD, InspectionReport: REPORT, Feedback: FEEDBACK}[type(instance)]
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = kind.snapshot(instance.pk)
    type(instance).objects.filter(pk=instance.pk, snapshot__isnull=True).update(snapshot=snapshot)
    instance.snapshot = snapshot
    return snapshot
