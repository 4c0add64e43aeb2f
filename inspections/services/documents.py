"""PDF documents (WeasyPrint): the check record (检查记录, Y3.3, Y3.5), the inspection report
(抽查报告, N13, N10(5)) and the feedback letter (结果反馈函, N14) — A4, the Chinese font embedded,
"第 N 页 共 M 页", the bureau's name. Rendered in Celery tasks (inspections/tasks.py) and, for an
archive missing one, synchronously (inspections/services/archive.py).

Each document is stored under a stable name on its model with its SHA-256; rendering again
overwrites it. The output is deterministic (no creation date, no random identifier), so rendering
unchanged data again gives the same bytes and the same hash — a second run of a task changes
nothing. The HTML is the fingerprint of what was rendered: if the data changed while WeasyPrint was
working (a draft report approved meanwhile), the document is rendered again under the row lock,
so a slow render never stores a stale document over a newer one.

Photos are printed as thumbnails made with Pillow (JPEG draft decoding: a 12-megapixel photo is
decoded at 1/4 or 1/8 scale), made only when WeasyPrint asks for them; nothing else is fetched —
no network, no files outside the storage.
"""

import ctypes
import gc
import hashlib
import io
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from core.exceptions import ServiceError
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Feedback,
    InspectionReport,
    LedgerEntry,
    TargetResult,
)

# WeasyPrint logs each of its steps at INFO, per document and three times on import: noise in
# the worker's log and in every manage.py command (they import the services). Quieted before the
# import, hence the imports below the statement.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

logger = logging.getLogger(__name__)

# Long side of an evidence thumbnail in pixels: printed 40 mm wide, that is about 300 dpi.
THUMBNAIL_PX = 480
THUMBNAIL_QUALITY = 80
SIGNATURE_PX = 600
# A row or block with more characters than this may not fit on one page: it is allowed to split.
LONG_TEXT = 400
TEMPLATES = "inspections/pdf/"
try:  # glibc's malloc_trim: give the heap WeasyPrint freed back to the system (see _pdf)
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # another C library: nothing to trim with
    _malloc_trim = None


# -- images ----------------------------------------------------------------------------------------
class _Images(URLFetcher):
    """The document's images, served from memory as `mem:<key>` and made on first request."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"mem"})
        self._makers: dict[str, Callable[[], tuple[bytes, str]]] = {}
        self.error: Exception | None = None

    def add(self, key: str, maker: Callable[[], tuple[bytes, str]]) -> str:
        self._makers[key] = maker
        return f"mem:{key}"

    def fetch(self, url, headers=None):
        try:
            body, mime = self._makers[url.removeprefix("mem:")]()
        except _NoPreview:
            raise  # WeasyPrint prints the <img>'s alt text instead
        except Exception as exc:
            # WeasyPrint would only log it and leave a hole: remembered and raised after rendering
            # (a missing evidence file must not give a record that looks complete, Y3.5).
            self.error = self.error or exc
            raise
        return URLFetcherResponse(url, body, {"Content-Type": mime})


class _NoPreview(Exception):
    """The file is there but is not an image Pillow can read: the document says so instead."""


def _open(file: FieldFile):
    return file.storage.open(file.name, "rb")


def _thumbnail(file: FieldFile) -> tuple[bytes, str]:
    """A JPEG of at most THUMBNAIL_PX, upright (EXIF orientation applied), on white."""
    with _open(file) as handle:
        try:
            image = Image.open(handle)
            # A JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size (DCT scaling): a
            # 4000 × 3000 photo at 500 × 375, about twice as fast as Pillow's default gap.
            scale = THUMBNAIL_PX / max(image.size)
            image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), reducing_gap=None)
        except (Image.UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
            raise _NoPreview(str(exc)) from exc
        image = ImageOps.exif_transpose(image)
        if image.mode != "RGB":
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        out = io.BytesIO()
        image.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue(), "image/jpeg"


def _signature_image(file: FieldFile) -> tuple[bytes, str]:
    """The signature as a PNG with its transparency, at most SIGNATURE_PX wide."""
    with _open(file) as handle:
        try:
            image = Image.open(handle)
            image.thumbnail((SIGNATURE_PX, SIGNATURE_PX))
        except (Image.UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
            raise _NoPreview(str(exc)) from exc
        out = io.BytesIO()
        image.convert("RGBA").save(out, "PNG")
    return out.getvalue(), "image/png"


# -- rendering and storing ---------------------------------------------------------------------------
@dataclass
class _Source:
    """What one document is made of: its HTML and the images the HTML refers to."""

    html: str
    images: _Images


def _css_string(text: str) -> SafeString:
    """`text` as a quoted CSS string, safe inside <style> (where HTML escaping does not apply)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return mark_safe(f'"{escaped}"')  # escaped for CSS above


def _page_counter() -> SafeString:
    """CSS `content` for the footer: "第 N 页 共 M 页" with the counters in place."""
    text = _("第 %(page)s 页 共 %(pages)s 页")
    text = text.replace("%(page)s", "\0page\0").replace("%(pages)s", "\0pages\0")
    parts = []
    for i, piece in enumerate(text.split("\0")):
        if i % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return mark_safe(" ".join(parts))  # built from escaped pieces


def _html(template: str, context: dict, images: _Images, reference: str) -> _Source:
    context = {
        "bureau": settings.BUREAU_NAME,
        "we": _we(settings.BUREAU_NAME),
        "bureau_css": _css_string(settings.BUREAU_NAME),
        "reference_css": _css_string(reference),
        "page_counter_css": _page_counter(),
        **context,
    }
    return _Source(render_to_string(TEMPLATES + template, context), images)


def _we(bureau: str) -> str:
    """How the bureau names itself in a letter: 我局, 我厅 or 我单位."""
    if bureau.endswith("局"):
        return _("我局")
    if bureau.endswith("厅"):
        return _("我厅")
    return _("我单位")


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """WeasyPrint's fonts, kept for the next document: a new configuration per document costs
    ~15 % more time and never gives back ~0.25 MB (bench/pdf.py). One per thread (Pango's font
    map is not thread-safe) and per process (not inherited through a fork)."""
    if getattr(_fonts, "pid", None) != os.getpid():
        _fonts.config, _fonts.pid = FontConfiguration(), os.getpid()
    return _fonts.config


def _pdf(source: _Source) -> bytes:
    # WeasyPrint leaves ~16,000 objects in reference cycles per document, holding the font files
    # it read (20–27 MB each): without a collection a worker grows by ~60 MB a document until the
    # cyclic collector happens to run. A full collection walks every object of the process
    # (~100 ms); with what existed before frozen it walks only this document's (~12 ms). And
    # glibc keeps the freed heap unless asked to return it (bench/pdf.py, docs/performance.md).
    freeze = gc.get_freeze_count() == 0  # someone else's freeze (before a fork) is left alone
    if freeze:
        gc.freeze()
    try:
        html = HTML(string=source.html, url_fetcher=source.images, base_url="mem:/")
        pdf = html.write_pdf(font_config=_font_config())
    finally:
        gc.collect()
        if freeze:
            gc.unfreeze()
        if _malloc_trim is not None:
            _malloc_trim(0)
    if source.images.error is not None:
        raise source.images.error
    return pdf


def _render_and_store(
    *,
    instance: models.Model,
    build: Callable[[int], _Source],
    file_field: str,
    sha_field: str,
    name: str,
) -> None:
    model = type(instance)
    # Official documents are in Chinese whatever language the requesting user chose.
    with translation.override(settings.LANGUAGE_CODE):
        source = build(instance.pk)
        pdf = _pdf(source)
        with transaction.atomic():
            model.objects.select_for_update().filter(pk=instance.pk).get()
            fresh = build(instance.pk)
            if fresh.html != source.html:
                logger.info("%s %s changed while rendering; rendered again", model.__name__, name)
                pdf = _pdf(fresh)
            _store(instance, file_field, sha_field, name, pdf)


def _store(instance: models.Model, file_field: str, sha_field: str, name: str, data: bytes) -> None:
    sha = hashlib.sha256(data).hexdigest()
    file: FieldFile = getattr(instance, file_field)
    storage = file.storage
    current = type(instance).objects.filter(pk=instance.pk).values_list(file_field, sha_field)
    stored_name, stored_sha = current.get()
    if stored_name == name and stored_sha == sha and stored_sha256(storage, name) == sha:
        setattr(instance, file_field, name)
        setattr(instance, sha_field, sha)
        return  # the same bytes are already there under the same name: nothing to do
    storage.delete(name)  # the stable name is overwritten, not suffixed
    saved = storage.save(name, ContentFile(data))
    type(instance).objects.filter(pk=instance.pk).update(**{file_field: saved, sha_field: sha})
    setattr(instance, file_field, saved)
    setattr(instance, sha_field, sha)


def _paragraphs(**texts: str) -> dict[str, list[str]]:
    """Each text as its paragraphs (one per line), so each gets the first-line indent of Chinese
    prose; blank lines dropped."""
    return {
        name: [line.strip() for line in text.splitlines() if line.strip()]
        for name, text in texts.items()
    }


def _long(*texts: str) -> bool:
    return sum(len(t) for t in texts) > LONG_TEXT


def _rows_of(cells: list, width: int) -> list[list]:
    """`cells` in rows of `width`, the last padded with None (a table keeps its grid)."""
    rows = [cells[i : i + width] for i in range(0, len(cells), width)]
    if rows:
        rows[-1] += [None] * (width - len(rows[-1]))
    return rows


def stored_sha256(storage, name: str) -> str | None:
    """SHA-256 of a stored file, None if there is none."""
    if not name or not storage.exists(name):
        return None
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _year(moment) -> int:
    return timezone.localtime(moment).year if moment else timezone.localdate().year


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# -- the check record ------------------------------------------------------------------------------
def record_pdf_name(record: CheckRecord) -> str:
    return f"records/{_year(record.created_at)}/record-{record.inspection_id}-v{record.version}.pdf"


def record_pdf_render(*, record: CheckRecord) -> CheckRecord:
    """Render the check record (any version; a draft is marked as one) and store it."""
    _render_and_store(
        instance=record,
        build=_record_source,
        file_field="pdf",
        sha_field="pdf_sha256",
        name=record_pdf_name(record),
    )
    return record


def _evidence_row(evidence: Evidence, images: _Images) -> dict:
    src = images.add(f"e{evidence.pk}", partial(_thumbnail, evidence.file))
    return {"evidence": evidence, "src": src if evidence.is_image else None}


def _record_source(pk: int) -> _Source:
    record = (
        CheckRecord.objects.select_related(
            "inspection__institution",
            "inspection__task__sector",
            "correction_of",
            "submitted_by",
        )
        .prefetch_related(
            Prefetch(
                "items",
                CheckRecordItem.objects.select_related("check_item").order_by("order"),
            ),
            Prefetch("evidence", Evidence.objects.order_by("uploaded_at", "pk")),
            "signatures__inspector",
            "inspection__members__inspector",
        )
        .get(pk=pk)
    )
    images = _Images()
    evidence = [_evidence_row(e, images) for e in record.evidence.all()]
    by_item: dict[int | None, list[dict]] = {}
    for row in evidence:
        by_item.setdefault(row["evidence"].item_id, []).append(row)
    items = [
        {
            "item": item,
            "evidence": by_item.get(item.pk, []),
            "long": _long(item.finding, item.not_applicable_reason),
        }
        for item in record.items.all()
    ]
    signatures = [
        {
            "signature": s,
            "src": images.add(f"s{s.pk}", partial(_signature_image, s.image)),
        }
        for s in record.signatures.all()
    ]
    inspection = record.inspection
    number = f"{inspection.pk}-{record.version}"
    reference = _("检查记录 编号 %(number)s") % {"number": number}
    context = {
        "record": record,
        "inspection": inspection,
        "institution": inspection.institution,
        "task": inspection.task,
        "members": inspection.members.all(),
        "items": items,
        "other_evidence": by_item.get(None, []),
        "evidence": evidence,
        "signatures": signatures,
        "signature_rows": _rows_of([s for s in signatures if s["signature"].inspector_id], 3),
        "representative_signature": next(
            (s for s in signatures if not s["signature"].inspector_id), None
        ),
        "submitted_by": _person(record.submitted_by),
        "correction_long": _long(record.correction_reason),
        "procedure_long": _long(record.statement, record.questions, record.summary),
        "number": number,
        "reference": reference,
    }
    return _html("record.html", context, images, reference)


# -- the inspection report (N13, N10(5)) ---------------------------------------------------------------
def report_pdf_name(report: InspectionReport) -> str:
    return f"reports/{_year(report.drafted_at)}/report-task-{report.task_id}.pdf"


def report_pdf_render(*, report: InspectionReport) -> InspectionReport:
    """Render the inspection report (a report not yet approved is marked so) and store it."""
    _render_and_store(
        instance=report,
        build=_report_source,
        file_field="pdf",
        sha_field="pdf_sha256",
        name=report_pdf_name(report),
    )
    return report


def _report_source(pk: int) -> _Source:
    report = InspectionReport.objects.select_related(
        "task__sector", "drafted_by", "team_approved_by", "approved_by"
    ).get(pk=pk)
    results = [
        {"result": result, "long": _long(result.evaluation, result.handling)}
        for result in TargetResult.objects.filter(report=report)
        .select_related("inspection__institution")
        .prefetch_related("inspection__members__inspector")
        .order_by("inspection__selection__order", "inspection__pk")
    ]
    reference = _("抽查报告 任务编号 %(task)s") % {"task": report.task_id}
    name = report.task.name
    # "……抽查" + "抽查报告" would say 抽查 twice.
    title = name + _("报告") if name.endswith("抽查") else _("%(task)s抽查报告") % {"task": name}
    context = {
        "title": title,
        "report": report,
        "paragraphs": _paragraphs(
            content=report.content,
            findings=report.findings,
            evaluation=report.evaluation,
            handling=report.handling,
        ),
        "task": report.task,
        "results": results,
        "drafted_by": _person(report.drafted_by),
        "team_approved_by": _person(report.team_approved_by),
        "approved_by": _person(report.approved_by),
        "reference": reference,
    }
    return _html("report.html", context, _Images(), reference)


# -- the feedback letter (N14) ------------------------------------------------------------------------
def feedback_letter_name(feedback: Feedback) -> str:
    # Not in feedback/<year>/, where the proofs of delivery are uploaded under their own names.
    return f"feedback/letters/{_year(feedback.recorded_at)}/letter-{feedback.inspection_id}.pdf"


def feedback_letter_render(*, feedback: Feedback) -> Feedback:
    """Render the letter feeding the result back to the target (N14) and store it. The target's
    result must have been set in the report (one of the three categories of Y3.6)."""
    _render_and_store(
        instance=feedback,
        build=_feedback_source,
        file_field="letter",
        sha_field="letter_sha256",
        name=feedback_letter_name(feedback),
    )
    return feedback


def _feedback_source(pk: int) -> _Source:
    feedback = Feedback.objects.select_related(
        "inspection__institution", "inspection__task", "inspection__result__report"
    ).get(pk=pk)
    inspection = feedback.inspection
    result = getattr(inspection, "result", None)
    if result is None or not result.category:
        raise ServiceError(
            _("%(target)s 的检查结果尚未在抽查报告中确定，不能生成反馈函（N14）。")
            % {"target": inspection.institution},
            code="no_result",
        )
    record = (
        inspection.records.filter(status=CheckRecord.Status.SUBMITTED)
        .order_by("-version")
        .prefetch_related(
            Prefetch(
                "items",
                CheckRecordItem.objects.select_related("check_item").order_by("order"),
            )
        )
        .first()
    )
    items = list(record.items.all()) if record else []
    reference = _("反馈函 检查编号 %(inspection)s") % {"inspection": inspection.pk}
    context = {
        "feedback": feedback,
        "inspection": inspection,
        "institution": inspection.institution,
        "task": inspection.task,
        "result": result,
        "paragraphs": _paragraphs(evaluation=result.evaluation, handling=result.handling),
        "report": result.report,
        "record": record,
        "items": items,
        "problems": [i for i in items if i.outcome == CheckRecordItem.Outcome.PROBLEM],
        "ledger": LedgerEntry.objects.filter(inspection=inspection)
        .select_related("item__check_item")
        .order_by("pk"),
        "reference": reference,
    }
    return _html("feedback_letter.html", context, _Images(), reference)
