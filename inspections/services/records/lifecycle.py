"""Check records in the field (检查记录, Y3.3, Y3.5, N9, N11): started from the task's check items,
saved as the inspector types (idempotent by the client's revision), evidence and signatures added
on the tablet, submitted once every rule holds, then locked; a correction is a new version.

Only members of the inspection's team act on its record (`inspection_member`); the views answer
404 to everyone else (`inspections_of`).
"""

import datetime as dt
import hashlib
import io
import os
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from simple_history.utils import bulk_create_with_history

from core.exceptions import ServiceError
from core.history import current_history_user
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Inspection,
    InspectionMember,
    InspectionTask,
    PlanSection,
    Signature,
)
from inspections.services.documents import document_freeze
from inspections.tasks import record_pdf_render_task
from registry.models import CheckItem, Method

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024  # issue 4 §1: at most 10 MB per file
MAX_IMAGE_PIXELS = 60_000_000  # larger than any tablet camera; refuses decompression bombs
MIN_SIGNERS = 2  # Y3.3, N11: at least two enforcement officers

Outcome = CheckRecordItem.Outcome

# The fields of a record an inspector edits, with their kind; everything else is the system's.
RECORD_TEXT_FIELDS = {
    "place": 200,
    "statement": None,
    "questions": None,
    "representative_name": 50,
    "representative_title": 50,
    "summary": None,
}
RECORD_BOOL_FIELDS = ("certificates_shown", "rights_told", "representative_refused")
RECORD_FIELDS = ("inspected_on", *RECORD_TEXT_FIELDS, *RECORD_BOOL_FIELDS)
ITEM_FIELDS = ("outcome", "not_applicable_reason", "finding", "method")


# --- Reads: who may see what -------------------------------------------------------------------


def inspections_of(user) -> QuerySet[Inspection]:
    """The inspections whose team `user` is on (through their inspector account); nothing for
    anyone else. Every /inspect/ URL is looked up through this, so others get 404."""
    if not getattr(user, "is_authenticated", False):
        return Inspection.objects.none()
    # One row per inspection: an account has one inspector, who is on a team once.
    return Inspection.objects.filter(members__inspector__user=user)


def inspection_member(*, inspection: Inspection, user) -> InspectionMember:
    """The user's place on the inspection's team, or a ServiceError."""
    member = (
        InspectionMember.objects.select_related("inspector")
        .filter(inspection=inspection, inspector__user=user)
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if member is None:
        raise ServiceError(_("您不是该检查组的成员，不能办理这次检查。"), code="not_member")
    return member


def task_check_items(task: InspectionTask) -> QuerySet[CheckItem]:
    """N9: the content of an inspection is every item of its plan section (the plan holds every
    active item of the sector); a task outside a plan takes the sector's active items."""
    if task.plan_round_id:
        return task.plan_round.section.check_items.all()
    return CheckItem.objects.filter(sector=task.sector_id).active_on(task.starts_on)


def check_items_count_subquery() -> Subquery:
    """How many check items an inspection's task has (its plan section's), for list annotations."""
    through = PlanSection.check_items.through
    return Subquery(
        through.objects.filter(plansection_id=OuterRef("task__plan_round__section_id"))
        .order_by()
        .values("plansection_id")
        .annotate(n=Count("*"))
        .values("n")
    )


def record_latest(inspection: Inspection) -> CheckRecord | None:
    """The newest version of the inspection's record (a correction supersedes what it corrects)."""
    return inspection.records.order_by("-version").first()


def record_state(record: CheckRecord) -> dict:
    """What the tablet holds of a record: its fields and items as the form shows them, and the
    revision they are at (the autosave's answer)."""
    fields = {name: getattr(record, name) for name in RECORD_FIELDS}
    fields["inspected_on"] = record.inspected_on.isoformat() if record.inspected_on else ""
    return {
        "id": record.pk,
        "version": record.version,
        "status": record.status,
        "revision": record.revision,
        "saved_at": timezone.localtime(record.updated_at).isoformat(),
        "fields": fields,
        "items": {
            str(item.pk): {name: getattr(item, name) for name in ITEM_FIELDS}
            for item in record.items.all()
        },
    }


# --- Starting and saving -----------------------------------------------------------------------


def _usable(inspection: Inspection) -> None:
    if inspection.status == Inspection.Status.CANCELLED:
        raise ServiceError(_("这次检查已取消，不能再填写检查记录。"), code="cancelled")


def _draft_locked(record: CheckRecord, user) -> CheckRecord:
    """The record re-read under a row lock, checked to be a draft the user may edit."""
    record = CheckRecord.objects.select_for_update().select_related("inspection").get(pk=record.pk)
    inspection_member(inspection=record.inspection, user=user)
    _usable(record.inspection)
    if record.status != CheckRecord.Status.DRAFT:
        raise ServiceError(
            _("第 %(v)s 版检查记录已提交，已锁定，不能修改；如需修改，请提出更正。")
            % {"v": record.version},
            code="locked",
        )
    return record


@transaction.atomic
def record_start(*, inspection: Inspection, user) -> CheckRecord:
    """Open version 1 of the inspection's record as a draft, with one row per check item of the
    task in the list's order (N9: none left out). Starting again returns the draft there is."""
    inspection = Inspection.objects.select_for_update().get(pk=inspection.pk)
    inspection_member(inspection=inspection, user=user)
    _usable(inspection)
    existing = record_latest(inspection)
    if existing is not None:
        if existing.status == CheckRecord.Status.DRAFT:
            return existing
        raise ServiceError(
            _("这次检查的检查记录已提交；如需修改，请提出更正。"), code="already_submitted"
        )
    items = list(task_check_items(inspection.task))
    if not items:
        raise ServiceError(
            _("检查任务“%(task)s”没有抽查事项，无法填写检查记录（N9）。")
            % {"task": inspection.task},
            code="no_items",
        )
    record = CheckRecord.objects.create(
        inspection=inspection,
        version=1,
        created_by=user,
        inspected_on=timezone.localdate(),
        place=inspection.institution.address[:200],
    )
    bulk_create_with_history(
        [
            CheckRecordItem(
                record=record,
                check_item=item,
                order=order,
                # The plan's method for the item (Y3.4); the inspector changes it if another
                # was used.
                method=(item.methods or [""])[0],
            )
            for order, item in enumerate(items, start=1)
        ],
        CheckRecordItem,
        default_user=current_history_user(),
    )
    if inspection.status == Inspection.Status.PLANNED:
        inspection.status = Inspection.Status.IN_PROGRESS
        inspection.save(update_fields=["status"])
    return record


def _clean_fields(changes: dict) -> dict:
    """The record fields of an autosave, checked; a ServiceError names the first bad one."""
    cleaned = {}
    labels = {f.name: f.verbose_name for f in CheckRecord._meta.fields}
    for name, value in changes.items():
        if name not in RECORD_FIELDS:
            raise ServiceError(_("不能修改字段“%(name)s”。") % {"name": name}, code="field")
        label = labels[name]
        if name == "inspected_on":
            cleaned[name] = _parse_date(value, label)
        elif name in RECORD_BOOL_FIELDS:
            if not isinstance(value, bool):
                raise ServiceError(_("“%(f)s”应为是或否。") % {"f": label}, code="field")
            cleaned[name] = value
        else:
            cleaned[name] = _text(value, label, RECORD_TEXT_FIELDS[name])
    return cleaned


def _parse_date(value, label) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError(
            _("“%(f)s”不是有效的日期：%(v)s") % {"f": label, "v": value}, code="field"
        ) from None


def _text(value, label, max_length: int | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ServiceError(_("“%(f)s”应为文字。") % {"f": label}, code="field")
    if max_length and len(value) > max_length:
        raise ServiceError(
            _("“%(f)s”最多 %(n)s 个字，现有 %(len)s 个。")
            % {"f": label, "n": max_length, "len": len(value)},
            code="field",
        )
    return value


def _clean_item(item: CheckRecordItem, changes: dict) -> dict:
    cleaned = {}
    for name, value in changes.items():
        if name not in ITEM_FIELDS:
            raise ServiceError(_("不能修改字段“%(name)s”。") % {"name": name}, code="field")
        if name == "outcome" and value not in ("", *Outcome.values):
            raise ServiceError(
                _("第 %(n)s 项“%(item)s”的检查结果无效：%(v)s")
                % {"n": item.order, "item": item.check_item.name, "v": value},
                code="field",
            )
        if name == "method" and value not in ("", *Method.values):
            raise ServiceError(
                _("第 %(n)s 项“%(item)s”的检查方式无效：%(v)s")
                % {"n": item.order, "item": item.check_item.name, "v": value},
                code="field",
            )
        label = CheckRecordItem._meta.get_field(name).verbose_name
        cleaned[name] = _text(value, label, None)
    return cleaned


@transaction.atomic
def record_save_draft(
    *, record: CheckRecord, user, revision: int, fields: dict | None = None, items=None
) -> CheckRecord:
    """Apply an autosave: `fields` of the record and `items` ({item id: {field: value}}), each
    only the changed ones. Applied only when `revision` (the client's counter) is above the stored
    one, so a save sent twice or arriving after a newer one changes nothing. Returns the record as
    it now is (`record_state` gives what the client compares its values with)."""
    record = _draft_locked(record, user)
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        raise ServiceError(_("保存请求缺少有效的版本计数。"), code="revision")
    if revision <= record.revision:
        return record  # a duplicate or an older save: already applied or superseded
    cleaned = _clean_fields(fields or {})
    by_id = {str(i.pk): i for i in record.items.select_related("check_item")}
    item_changes = []
    for item_id, changes in (items or {}).items():
        item = by_id.get(str(item_id))
        if item is None:
            raise ServiceError(
                _("检查事项 %(id)s 不属于这份检查记录。") % {"id": item_id}, code="item"
            )
        item_changes.append((item, _clean_item(item, changes or {})))
    for name, value in cleaned.items():
        setattr(record, name, value)
    record.revision = revision
    record.save()
    for item, changes in item_changes:
        if changes:
            for name, value in changes.items():
                setattr(item, name, value)
            item.save(update_fields=list(changes))
    return record


# --- Evidence ----------------------------------------------------------------------------------

IMAGE_FORMATS = {
    # Pillow format → (stored format, content type, extension)
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    # HEIC/HEIF/AVIF photos (iPad camera) when Pillow can decode them; stored as JPEG, which
    # every browser and the PDF can show.
    "HEIF": ("JPEG", "image/jpeg", "jpg"),
    "AVIF": ("JPEG", "image/jpeg", "jpg"),
}
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def _sniff(head: bytes) -> str | None:
    """The kind of a file from its first bytes (never its name): jpeg, png, webp, heif, pdf."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


def _image_clean(data: bytes, name: str, kind: str) -> tuple[bytes, str, str]:
    """Re-encode a photo: turned upright (EXIF orientation) and written afresh, so no EXIF, GPS,
    XMP or comment of the original survives. Returns (bytes, content type, extension)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ServiceError(
                    _("图片“%(name)s”像素过大（%(w)s×%(h)s），无法接收。")
                    % {"name": name, "w": image.width, "h": image.height},
                    code="evidence_type",
                )
            stored_format, content_type, ext = IMAGE_FORMATS[image.format]
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            upright.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        KeyError,
        Image.DecompressionBombError,
    ):
        if kind == "heif":
            raise ServiceError(
                _(
                    "照片“%(name)s”是 HEIC 格式，服务器无法转换，未保存。请在平板的相机设置中选择“兼容性最佳”（JPEG）后重新拍摄。"
                )
                % {"name": name},
                code="evidence_type",
            ) from None
        raise ServiceError(
            _("文件“%(name)s”不是可以识别的图片，或文件已损坏，未保存。") % {"name": name},
            code="evidence_type",
        ) from None
    upright.info = {}  # nothing of the original's metadata goes along
    if stored_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    if stored_format == "JPEG":
        options.update(quality=90, optimize=True)
    elif stored_format == "WEBP":
        options.update(quality=90)
    else:
        options.update(optimize=True)
    upright.save(out, format=stored_format, **options)
    return out.getvalue(), content_type, ext


def _pdf_check(data: bytes, name: str) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ServiceError(
            _("PDF 文件“%(name)s”不完整（缺少文件结尾），可能未下载或拍摄完成，未保存。")
            % {"name": name},
            code="evidence_type",
        )


def _display_name(name: str) -> str:
    return (os.path.basename(name or "").strip() or "upload")[-255:]


@transaction.atomic
def evidence_add(
    *, record: CheckRecord, user, upload, item: CheckRecordItem | None = None
) -> Evidence:
    """Attach a photo or a PDF to a draft record (or one of its items). The type is read from the
    content, never the name; at most 10 MB; photos are re-encoded without location data; the
    SHA-256 is of the bytes stored (Y3.5: evidence archived completely and accurately). A refused
    upload changes nothing in the record; the same file sent twice is kept once."""
    record = _draft_locked(record, user)
    name = _display_name(getattr(upload, "name", ""))
    if item is not None and item.record_id != record.pk:
        raise ServiceError(_("所选检查事项不属于这份检查记录。"), code="item")
    size = upload.size
    if size > MAX_EVIDENCE_BYTES:
        raise ServiceError(
            _("文件“%(name)s”有 %(mb).1f MB，超过 10 MB 的上限，未保存。请压缩或分拆后再上传。")
            % {"name": name, "mb": size / 1024 / 1024},
            code="evidence_size",
        )
    data = upload.read(MAX_EVIDENCE_BYTES + 1)
    if len(data) > MAX_EVIDENCE_BYTES:
        raise ServiceError(
            _("文件“%(name)s”超过 10 MB 的上限，未保存。") % {"name": name}, code="evidence_size"
        )
    if not data:
        raise ServiceError(
            _("文件“%(name)s”是空文件，未保存。") % {"name": name}, code="evidence_type"
        )
    kind = _sniff(data[:32])
    if kind is None:
        raise ServiceError(
            _(
                "文件“%(name)s”不是照片（JPEG、PNG、WebP、HEIC）或 PDF，未保存。系统按文件内容判断类型，与文件名无关。"
            )
            % {"name": name},
            code="evidence_type",
        )
    if kind == "pdf":
        _pdf_check(data, name)
        stored, content_type, ext = data, "application/pdf", "pdf"
    else:
        stored, content_type, ext = _image_clean(data, name, kind)
    sha256 = hashlib.sha256(stored).hexdigest()
    # The same file sent again (an upload retried after the network dropped) is stored once.
    existing = record.evidence.filter(sha256=sha256, item=item).first()
    if existing is not None:
        return existing
    evidence = Evidence(
        record=record,
        item=item,
        original_name=name,
        content_type=content_type,
        size=len(stored),
        sha256=sha256,
        uploaded_by=user,
    )
    evidence.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(stored), save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.storage.delete(evidence.file.name)  # not left behind without its row
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, user) -> None:
    """Take a file off a draft record. The file itself stays while an earlier version (whose
    evidence rows share it) still points at it."""
    _draft_locked(evidence.record, user)
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()

    def delete_if_unused():
        if not Evidence.objects.filter(file=name).exists():
            storage.delete(name)

    transaction.on_commit(delete_if_unused)


# --- Submitting and correcting -----------------------------------------------------------------


class RecordIncomplete(ServiceError):
    """The record cannot be submitted; `problems` says each thing missing, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(_("检查记录还不能提交：") + "；".join(problems), code="record_incomplete")
        self.problems = problems


def record_problems(record: CheckRecord) -> list[str]:
    """Everything that keeps a draft from being submitted, each naming the item or field."""
    problems = []
    today = timezone.localdate()
    if record.inspected_on is None:
        problems.append(_("请填写检查日期。"))
    elif record.inspected_on > today:
        problems.append(_("检查日期 %(d)s 晚于今天。") % {"d": record.inspected_on})
    problems += _item_problems(record)
    problems += _procedure_problems(record)
    problems += _signer_problems(record)
    return problems


def _item_problems(record: CheckRecord) -> list[str]:
    problems = []
    for item in record.items.select_related("check_item").order_by("order"):
        label = {"n": item.order, "item": item.check_item.name}
        if not item.outcome:
            # N9: no item of the list may be left out
            problems.append(_("第 %(n)s 项“%(item)s”还没有检查结果（N9）。") % label)
        elif item.outcome == Outcome.NOT_APPLICABLE and not item.not_applicable_reason.strip():
            problems.append(_("第 %(n)s 项“%(item)s”选择了不适用，请写明理由（N9）。") % label)
        elif item.outcome == Outcome.PROBLEM and not item.finding.strip():
            problems.append(_("第 %(n)s 项“%(item)s”发现问题，请记录具体问题。") % label)
        if item.outcome in (Outcome.COMPLIANT, Outcome.PROBLEM) and not item.method:
            problems.append(_("第 %(n)s 项“%(item)s”请选择检查方式（Y3.5）。") % label)
    return problems


def _procedure_problems(record: CheckRecord) -> list[str]:
    """Y3.5: certificates shown, rights and duties told, the representative's signature or the
    note that they refused."""
    problems = []
    if not record.certificates_shown:
        problems.append(_("请确认已向被检查对象出示执法证件（Y3.5）。"))
    if not record.rights_told:
        problems.append(_("请确认已告知被检查对象的权利和义务（Y3.5）。"))
    signed = record.signatures.filter(role=Signature.Role.REPRESENTATIVE).exists()
    if not signed and not record.representative_refused:
        problems.append(
            _("被检查对象到场人员尚未签名；如其拒绝签字，请勾选“到场人员拒绝签字”（Y3.5）。")
        )
    return problems


def _signer_problems(record: CheckRecord) -> list[str]:
    """Y3.3, N11: at least two team members with a valid enforcement certificate for the sector on
    the inspection date have signed."""
    day = record.inspected_on
    if day is None:
        return []
    sector = record.inspection.task.sector
    team = set(record.inspection.members.values_list("inspector_id", flat=True))
    signers = [
        s.inspector
        for s in record.signatures.filter(role=Signature.Role.INSPECTOR)
        .select_related("inspector")
        .prefetch_related("inspector__sectors")
        if s.inspector_id in team
    ]
    eligible = [i for i in signers if i.eligible_on(day, sector)]
    if len(eligible) >= MIN_SIGNERS:
        return []
    problems = [
        _(
            "至少需要 %(min)s 名在检查日期（%(day)s）具有执法资格的检查组成员签名，目前只有 %(n)s 名（Y3.3、N11）。"
        )
        % {"min": MIN_SIGNERS, "day": day, "n": len(eligible)}
    ]
    for inspector in signers:
        reasons = inspector.ineligibility_reasons(day, sector)
        if reasons:
            problems.append(
                _("%(name)s 的签名不计入：%(why)s。")
                % {"name": inspector.name, "why": "、".join(reasons)}
            )
    return problems


@transaction.atomic
def record_submit(*, record: CheckRecord, user) -> CheckRecord:
    """Submit a draft once every rule holds (N9, Y3.5, Y3.3/N11), then lock it: the record and
    the inspection are submitted, and its PDF is rendered in the background."""
    record = _draft_locked(record, user)
    problems = record_problems(record)
    if problems:
        raise RecordIncomplete(problems)
    record.status = CheckRecord.Status.SUBMITTED
    record.submitted_at = timezone.now()
    record.submitted_by = user
    record.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
    document_freeze(record)  # what the PDF shows, frozen now (issue 12 §1)
    inspection = record.inspection
    inspection.status = Inspection.Status.SUBMITTED
    inspection.save(update_fields=["status"])
    transaction.on_commit(lambda: record_pdf_render_task.delay(record.pk), robust=True)
    return record


COPIED_FIELDS = RECORD_FIELDS


@transaction.atomic
def record_correct(*, record: CheckRecord, user, reason: str) -> CheckRecord:
    """Correct a submitted record: a new draft version with the reason, holding a copy of the
    fields, items and evidence (the same files) — not the signatures, which are given again for
    what is now signed. Every earlier version stays as it was (Y3.5: archived completely)."""
    record = CheckRecord.objects.select_for_update().select_related("inspection").get(pk=record.pk)
    inspection = Inspection.objects.select_for_update().get(pk=record.inspection_id)
    inspection_member(inspection=inspection, user=user)
    _usable(inspection)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请写明更正理由。"), code="correction_reason")
    if record.status != CheckRecord.Status.SUBMITTED:
        raise ServiceError(
            _("只能更正已提交的检查记录；第 %(v)s 版仍是草稿，可直接修改。")
            % {"v": record.version},
            code="correction_draft",
        )
    latest = record_latest(inspection)
    if latest.pk != record.pk:
        raise ServiceError(
            _("第 %(v)s 版已有更新的第 %(latest)s 版，请在最新版本上更正。")
            % {"v": record.version, "latest": latest.version},
            code="correction_not_latest",
        )
    copy = CheckRecord.objects.create(
        inspection=inspection,
        version=record.version + 1,
        correction_of=record,
        correction_reason=reason,
        created_by=user,
        **{name: getattr(record, name) for name in COPIED_FIELDS},
    )
    items = {}
    for item in record.items.order_by("order"):
        items[item.pk] = CheckRecordItem.objects.create(
            record=copy,
            check_item_id=item.check_item_id,
            order=item.order,
            **{name: getattr(item, name) for name in ITEM_FIELDS},
        )
    bulk_create_with_history(
        [
            Evidence(
                record=copy,
                item=items.get(e.item_id),
                file=e.file.name,
                original_name=e.original_name,
                content_type=e.content_type,
                size=e.size,
                sha256=e.sha256,
                uploaded_by_id=e.uploaded_by_id,
            )
            for e in record.evidence.all()
        ],
        Evidence,
        default_user=current_history_user(),
    )
    inspection.status = Inspection.Status.IN_PROGRESS
    inspection.save(update_fields=["status"])
    return copy
