"""Fieldwork data for the document and archive tests, made with the ORM (not through the record
and report services, which other tests cover): submitted check records with items, photo evidence
and drawn signatures; a report with the three kinds of result (Y3.6); feedback (N14)."""

import datetime as dt
import functools
import hashlib
import io
import random
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter

from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Feedback,
    Inspection,
    InspectionReport,
    LedgerEntry,
    Signature,
    TargetResult,
)
from inspections.services.documents import document_freeze
from registry.models import Method

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSPECTED_ON = dt.date(2026, 4, 8)
LONG_FINDING = (
    "该所已建立收案登记、利益冲突审查、收费管理、档案管理等内部管理制度，但抽查的 12 件"
    "卷宗中有 3 件未附委托代理合同原件，2 件收费票据与合同约定金额不一致；律师执业年度考核"
    "材料归档不完整，部分律师未按规定参加继续教育。"
)


@functools.cache
def photo_bytes(seed: int = 1, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A JPEG that looks like a photo to a codec: gradients, shapes and noise."""
    rng = random.Random(seed)
    width, height = size
    image = Image.linear_gradient("L").resize(size)
    red = image.rotate(rng.randint(0, 359)).resize(size)
    green = Image.radial_gradient("L").resize(size)
    image = Image.merge("RGB", (red, green, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    draw = ImageDraw.Draw(image)
    for _i in range(30):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _c in range(3))
        draw.rectangle([x, y, x + rng.randrange(40, 400), y + rng.randrange(40, 300)], fill=colour)
    noise = Image.effect_noise(size, 40).convert("RGB")
    image = Image.blend(image.filter(ImageFilter.GaussianBlur(2)), noise, 0.25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@functools.cache
def signature_bytes(seed: int = 1) -> bytes:
    """A signature drawn on a tablet: dark strokes on a transparent PNG."""
    rng = random.Random(seed)
    image = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(60 + i * 40, 150 + rng.randint(-90, 90)) for i in range(20)]
    draw.line(points, fill=(10, 10, 60, 255), width=9, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def evidence_add(
    record: CheckRecord, *, item=None, user, seed: int = 1, name: str = ""
) -> Evidence:
    data = photo_bytes(seed)
    evidence = Evidence(
        record=record,
        item=item,
        original_name=name or f"现场照片{seed}.jpg",
        content_type="image/jpeg",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )
    evidence.file.save(f"photo-{seed}.jpg", ContentFile(data), save=False)
    evidence.save()
    return evidence


def pdf_evidence_add(record: CheckRecord, *, user) -> Evidence:
    data = b"%PDF-1.4\n% a scanned contract\n%%EOF\n"
    evidence = Evidence(
        record=record,
        original_name="委托代理合同扫描件.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )
    evidence.file.save("contract.pdf", ContentFile(data), save=False)
    evidence.save()
    return evidence


def signature_add(record: CheckRecord, *, inspector=None, name: str, seed: int) -> Signature:
    data = signature_bytes(seed)
    role = Signature.Role.INSPECTOR if inspector else Signature.Role.REPRESENTATIVE
    signature = Signature(
        record=record,
        role=role,
        inspector=inspector,
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        signed_at=at(INSPECTED_ON, 11, seed),
    )
    signature.image.save(f"signature-{seed}.png", ContentFile(data), save=False)
    signature.save()
    return signature


def record_make(
    inspection: Inspection,
    *,
    user,
    check_items,
    photos: int = 2,
    version: int = 1,
    correction_of: CheckRecord | None = None,
    correction_reason: str = "",
    problem: bool = True,
    finding: str = LONG_FINDING,
    submitted: bool = True,
) -> CheckRecord:
    """A submitted record: one row per check item (the first with a problem), `photos` photos on
    the first item, a PDF without an item, every team member's and the representative's
    signature."""
    record = CheckRecord.objects.create(
        inspection=inspection,
        version=version,
        correction_of=correction_of,
        correction_reason=correction_reason,
        inspected_on=INSPECTED_ON,
        place=inspection.institution.address or "被检查对象办公场所",
        certificates_shown=True,
        rights_told=True,
        statement="对检查发现的问题无异议，将在规定期限内整改。",
        questions="问：律师事务所是否建立利益冲突审查制度？\n答：已建立，由行政主任负责登记审查。",
        representative_name="张主任",
        representative_title="律师事务所主任",
        summary="现场检查执业许可证、内部管理制度、业务卷宗和财务票据。",
        created_by=user,
    )
    items = []
    for order, check_item in enumerate(check_items, start=1):
        found = problem and order == 1
        items.append(
            CheckRecordItem.objects.create(
                record=record,
                check_item=check_item,
                order=order,
                outcome=(
                    CheckRecordItem.Outcome.PROBLEM if found else CheckRecordItem.Outcome.COMPLIANT
                ),
                finding=finding if found else "符合要求，未发现问题。",
                method=Method.ON_SITE,
            )
        )
    for seed in range(1, photos + 1):
        evidence_add(record, item=items[0], user=user, seed=seed)
    pdf_evidence_add(record, user=user)
    for n, member in enumerate(inspection.members.select_related("inspector"), start=1):
        signature_add(record, inspector=member.inspector, name=member.inspector.name, seed=n)
    signature_add(record, name="张主任", seed=9)
    if not submitted:
        return record
    # Submitted as record_submit leaves it: locked, its document frozen (issue 12 §1).
    CheckRecord.objects.filter(pk=record.pk).update(
        status=CheckRecord.Status.SUBMITTED, submitted_by=user, submitted_at=at(INSPECTED_ON, 12)
    )
    record.refresh_from_db()
    document_freeze(record)
    return record


def report_make(task, *, user, leader, approved: bool = True) -> InspectionReport:
    """The report with the three kinds of result (Y3.6) over the task's live inspections."""
    inspections = list(task.inspections.exclude(status=Inspection.Status.CANCELLED))
    report = InspectionReport.objects.create(
        task=task,
        inspected_from=dt.date(2026, 4, 1),
        inspected_to=dt.date(2026, 4, 30),
        content="律师事务所执业许可证与登记事项；律师事务所内部管理制度落实情况。",
        target_count=len(inspections),
        findings="部分律师事务所卷宗归档不完整，收费票据与合同约定不一致。",
        evaluation="被抽查律师事务所总体能够依法依规执业。",
        handling="对发现问题的律师事务所责令限期整改，并纳入信用记录。",
        drafted_by=user,
        drafted_at=at(dt.date(2026, 5, 6), 9),
    )
    categories = [
        (TargetResult.Category.CASE_FILED, {"case_number": "渝中司罚立〔2026〕3号"}),
        (TargetResult.Category.TRANSFERRED, {"receiving_authority": "重庆市渝中区市场监督管理局"}),
    ]
    for n, inspection in enumerate(inspections):
        category, extra = (
            categories[n] if n < len(categories) else (TargetResult.Category.NO_VIOLATION, {})
        )
        TargetResult.objects.create(
            report=report,
            inspection=inspection,
            category=category,
            evaluation="依法执业情况较好。" if not extra else "存在违法违规行为。",
            handling="" if not extra else "依法处理，跟踪整改。",
            **extra,
        )
    if approved:  # as report_approve leaves it: locked, its document frozen (issue 12 §1)
        InspectionReport.objects.filter(pk=report.pk).update(
            status=InspectionReport.Status.APPROVED,
            team_approved_by=leader,
            team_approved_at=at(dt.date(2026, 5, 7), 15),
            approved_by=leader,
            approved_at=at(dt.date(2026, 5, 8), 10),
        )
        report.refresh_from_db()
        document_freeze(report)
    return report


def feedback_make(inspection: Inspection, *, user, rectify_item=None) -> Feedback:
    feedback = Feedback.objects.create(
        inspection=inspection,
        method=Feedback.Method.IN_PERSON,
        delivered_on=dt.date(2026, 5, 12),
        recorded_by=user,
    )
    if rectify_item is not None:
        LedgerEntry.objects.create(
            inspection=inspection,
            item=rectify_item,
            kind=LedgerEntry.Kind.RECTIFICATION,
            due_on=dt.date(2026, 6, 12),
            created_by=user,
        )
    document_freeze(feedback)  # the letter as sent (issue 12 §1)
    return feedback
