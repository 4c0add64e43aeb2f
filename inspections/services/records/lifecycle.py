"""A check record's life (Y3.5, N9): started from the task's check items, saved as the inspector
types (idempotent by the client's revision), and after its submission (records.submission)
corrected as a new version; every earlier version stays as it was.

Only members of the inspection's team act on its record, and only on a draft: `_draft_locked`
re-reads it under a row lock (evidence and signatures are added through it too).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.exceptions import ServiceError
from core.history import current_history_user
from inspections.models import CheckRecord, CheckRecordItem, Evidence, Inspection
from inspections.services.records.reads import (
    ITEM_FIELDS,
    RECORD_BOOL_FIELDS,
    RECORD_FIELDS,
    RECORD_TEXT_FIELDS,
    inspection_member,
    record_latest,
    task_check_items,
)
from registry.models import Method

Outcome = CheckRecordItem.Outcome

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


# --- Correcting ---------------------------------------------------------------------------------

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
