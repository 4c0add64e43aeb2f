"""The demo's fieldwork (issue 4 §5), through the same services as the tablet and the office:
the lawyers' first round carried through to the end — records with evidence and signatures, the
report approved, feedback, the ledger, the filing — replayed at its own dates (its results are
published in between: demo/story/publication.py); and the second round in progress, with a draft
of demo-inspector-1's on the tablet."""

import base64
import datetime as dt
import io
import random

from django.core.files.base import ContentFile
from django.db.models import Q
from PIL import Image, ImageDraw

from demo.story.replay import replayed_at, shanghai
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Feedback,
    Filing,
    Inspection,
    InspectionReport,
    InspectionTask,
    LedgerEntry,
    Signature,
    TargetResult,
)
from inspections.services import (
    evidence_add,
    feedback_record,
    filing_receive,
    filing_submit,
    ledger_close,
    ledger_update,
    record_latest,
    record_save_draft,
    record_start,
    record_submit,
    report_approve,
    report_draft,
    report_team_approve,
    report_update,
    result_set,
    signature_add,
)

SEED = 20260401  # the fieldwork's own: photos and signatures drawn alike on every run
REPRESENTATIVES = ["王主任", "李律师", "张行政", "赵合伙人", "刘主任", "陈律师"]
FINDINGS = {
    0: "律师事务所收费标准未在执业场所公示，委托合同未载明收费方式。",
    1: "个别律师执业档案未按规定及时归档，卷宗缺少结案报告。",
}
# A one-page PDF (the proof of a delivery): the smallest valid document.
PROOF_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def photo(rng: random.Random, label: int) -> ContentFile:
    """A photo as a tablet takes it (JPEG), of a made-up office wall."""
    image = Image.new("RGB", (1200, 900), (rng.randrange(150, 220),) * 3)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1200), rng.randrange(900)
        colour = tuple(rng.randrange(60, 200) for _ in range(3))
        draw.rectangle([x, y, x + rng.randrange(40, 300), y + rng.randrange(30, 200)], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    upload = ContentFile(buffer.getvalue(), name=f"现场照片{label}.jpg")
    return upload


def signature(rng: random.Random) -> str:
    """A signature drawn on the screen, as the canvas sends it (a PNG data URL)."""
    image = Image.new("RGBA", (480, 160), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    x, y = 30, 90
    for _ in range(14):
        nx, ny = x + rng.randrange(15, 40), rng.randrange(40, 130)
        draw.line([x, y, nx, ny], fill=(20, 20, 60, 255), width=5)
        x, y = nx, ny
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def fill_record(inspection: Inspection, *, rng, visit: dt.date, problem: str | None, submit: bool):
    """The record as the team fills it on the tablet: procedure, every item (N9), a photo,
    signatures of both inspectors and the representative (Y3.5, N11), then submitted."""
    members = list(inspection.members.select_related("inspector__user").order_by("position"))
    leader = members[0].inspector.user
    record = record_latest(inspection) or record_start(inspection=inspection, user=leader)
    if record.is_submitted:
        return record
    representative = REPRESENTATIVES[inspection.pk % len(REPRESENTATIVES)]
    items = list(record.items.order_by("order"))
    changes = {}
    for n, item in enumerate(items):
        if not submit and n >= len(items) // 2:
            break  # in progress: half done
        found = problem is not None and n == 0
        changes[str(item.pk)] = {
            "outcome": CheckRecordItem.Outcome.PROBLEM
            if found
            else CheckRecordItem.Outcome.COMPLIANT,
            "finding": problem if found else "经查阅档案和现场核对，符合规定。",
            "method": "on_site" if n % 2 == 0 else "system",
        }
    record_save_draft(
        record=record,
        user=leader,
        revision=record.revision + 1,
        fields={
            "inspected_on": visit.isoformat(),
            "place": f"{inspection.institution.name}办公场所",
            "certificates_shown": True,
            "rights_told": True,
            "statement": "对检查结果无异议。" if problem is None else "将按要求限期整改。",
            "questions": "问：收费标准在何处公示？答：在前台和网站公示。",
            "representative_name": representative,
            "representative_title": "行政主管",
            "summary": "按抽查事项清单逐项检查。",
        },
        items=changes,
    )
    if not submit:
        return record
    if not record.evidence.exists():
        evidence_add(record=record, user=leader, upload=photo(rng, inspection.pk), item=items[0])
    signed = set(record.signatures.values_list("inspector_id", flat=True))
    for member in members:
        if member.inspector_id not in signed:
            signature_add(  # each inspector confirms their own signature (Y3.3, N11)
                record=record,
                user=member.inspector.user,
                role=Signature.Role.INSPECTOR,
                data_url=signature(rng),
                inspector=member.inspector,
            )
    if not record.signatures.filter(role=Signature.Role.REPRESENTATIVE).exists():
        signature_add(
            record=record,
            user=leader,
            role=Signature.Role.REPRESENTATIVE,
            data_url=signature(rng),
        )
    return record_submit(record=record, user=leader)


def first_round(task: InspectionTask) -> list[Inspection]:
    """Round 1's inspections, in the order they were drawn."""
    return list(task.inspections.exclude(status="cancelled").order_by("selection__order"))


def visits(task: InspectionTask) -> None:
    """Round 1 of the lawyers (April–May 2026): two visits a week, each record submitted."""
    rng = random.Random(SEED)
    day = dt.date(2026, 4, 7)
    for n, inspection in enumerate(first_round(task)):
        visit = day + dt.timedelta(days=7 * (n // 2) + (n % 2))
        with replayed_at(shanghai(visit.year, visit.month, visit.day, 16, 0)):
            fill_record(inspection, rng=rng, visit=visit, problem=FINDINGS.get(n), submit=True)


def report(task: InspectionTask, *, staff, leader) -> InspectionReport:
    """The round's report: drafted by the office with one case filed and one rectification,
    approved by the team leader, then by the leader in charge."""
    inspections = first_round(task)
    report = getattr(task, "report", None)
    with replayed_at(shanghai(2026, 6, 2, 10, 0)):  # N13: within 5 working days of 31 May
        if report is None:
            report = report_draft(task=task, user=staff)
            results = {r.inspection_id: r for r in report.results.all()}
            result_set(
                result=results[inspections[0].pk],
                category=TargetResult.Category.CASE_FILED,
                case_number="渝中司罚立〔2026〕12号",
                handling="立案调查，依法处理。",
            )
            result_set(
                result=results[inspections[1].pk],
                category=TargetResult.Category.NO_VIOLATION,
                handling="责令限期整改，整改后复查。",
            )
            report_update(
                report=report,
                user=staff,
                handling="对发现违法行为的 1 家机构立案查处；对发现问题的 1 家机构责令限期整改并复查；"
                "其余机构未发现违法行为。",
            )
    if report.status == "draft":
        team_leader = inspections[0].members.get(position=1).inspector.user
        with replayed_at(shanghai(2026, 6, 3, 9, 30)):
            report = report_team_approve(report=report, user=team_leader)
    if report.status == "team_approved":
        with replayed_at(shanghai(2026, 6, 4, 15, 0)):
            report = report_approve(report=report, user=leader)
    return report


def feedback(task: InspectionTask, *, staff) -> None:
    """The results told to each institution: in person (with the proof of delivery) to the two
    with findings, by publication to the others."""
    with replayed_at(shanghai(2026, 6, 8, 11, 0)):  # N14: within 5 working days of the report
        for n, inspection in enumerate(first_round(task)):
            if Feedback.objects.filter(inspection=inspection).exists():
                continue
            method = "in_person" if n < 2 else "publication"
            feedback_record(
                inspection=inspection,
                method=method,
                delivered_on=dt.date(2026, 6, 8),
                user=staff,
                proof=ContentFile(PROOF_PDF, name="送达回证.pdf")
                if method == "in_person"
                else None,
            )


def rectification(task: InspectionTask, *, staff) -> None:
    """The second institution's rectification, given a due date in the ledger, then closed."""
    entry = LedgerEntry.objects.filter(
        inspection=first_round(task)[1],
        kind=LedgerEntry.Kind.RECTIFICATION,
        closed_on__isnull=True,
    ).first()
    if entry is None:
        return
    with replayed_at(shanghai(2026, 6, 5, 10, 0)):
        ledger_update(entry=entry, user=staff, due_on=dt.date(2026, 7, 10))
    with replayed_at(shanghai(2026, 7, 8, 15, 0)):
        ledger_close(
            entry=entry,
            user=staff,
            closed_on=dt.date(2026, 7, 8),
            rectification="已补齐结案报告并归档，复查合格。",
            note="复查合格，销号。",
        )


def filing(task: InspectionTask, *, staff, legal) -> None:
    """The round's file submitted by the office and received by the legal department."""
    if Filing.objects.filter(task=task).exists():
        return
    with replayed_at(shanghai(2026, 6, 15, 10, 0)):
        filed = filing_submit(task=task, user=staff, note="随附归档材料清单。")
    with replayed_at(shanghai(2026, 6, 16, 9, 0)):
        filing_receive(filing=filed, user=legal)


def round_in_progress(task: InspectionTask) -> None:
    """Round 2 (October–December 2026): demo-inspector-1's first inspection has a draft on the
    tablet, half filled in; one inspection of another team is already submitted."""
    rng = random.Random(SEED + 2)
    mine = Q(members__inspector__user__username="demo-inspector-1")
    for inspections, moment, submit in (
        (task.inspections.filter(mine), (2026, 11, 24, 10, 0), False),
        (task.inspections.exclude(mine), (2026, 11, 20, 15, 0), True),
    ):
        first = inspections.order_by("selection__order").first()
        if first is not None and not CheckRecord.objects.filter(inspection=first).exists():
            with replayed_at(shanghai(*moment)):
                fill_record(first, rng=rng, visit=dt.date(*moment[:3]), problem=None, submit=submit)
