"""What a document shows, frozen when it is signed (issue 12 §1; Y3.5: archived completely and
accurately; Y4(2): traceable).

A check record is frozen when it is submitted, the inspection report when the leader in charge
approves it (N10(5)), the feedback letter when the feedback is recorded as sent (N14). The
snapshot holds everything the PDF prints — names and credit codes, the team and their
certificates, the items with their content, the bureau's name, the choices' labels — as plain
JSON, stored on the row and frozen there by the database (migration 0009). The PDF renders from
it alone, so renaming an institution by import, correcting a certificate number or rewording a
check item afterwards changes no document that was already signed; a change is a new version
(a correction of the record).

The builders read only fields (no model methods), through `apps`, so the migration that fills
the snapshots of rows locked before this existed uses the very same code with its historical
models. Dates are ISO strings; `revive` turns them back into dates for the templates.
"""

import datetime as dt

from django.apps import apps as global_apps
from django.conf import settings
from django.utils import timezone, translation

FORMAT = "shuangsuiji-snapshot/1"
DATE_KEYS = frozenset({"inspected_on", "inspected_from", "inspected_to", "delivered_on", "due_on"})
DATETIME_KEYS = frozenset(
    {"submitted_at", "signed_at", "uploaded_at", "drafted_at", "team_approved_at", "approved_at"}
)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _label(model, field: str, value) -> str:
    """The choice's label as the documents print it (Chinese, whatever the user's language)."""
    choices = dict(model._meta.get_field(field).flatchoices)
    with translation.override(settings.LANGUAGE_CODE):
        return str(choices.get(value, value or ""))


def _person(user, apps) -> str:
    """A person as documents name them: the inspector's registry name, else the account's full
    name, else its login."""
    if user is None:
        return ""
    Inspector = apps.get_model("registry", "Inspector")
    registered = Inspector.objects.filter(user_id=user.pk).values_list("name", flat=True).first()
    return registered or f"{user.first_name} {user.last_name}".strip() or user.username


def _sector(sector) -> str:
    return _label(type(sector), "code", sector.code)


def _task(task) -> dict:
    return {
        "id": task.pk,
        "name": task.name,
        "kind": task.kind,
        "kind_label": _label(type(task), "kind", task.kind),
        "sector": _sector(task.sector),
    }


def _institution(institution) -> dict:
    return {
        "name": institution.name,
        "credit_code": institution.credit_code,
        "person_in_charge": institution.person_in_charge,
        "address": institution.address,
    }


def _members(inspection, apps) -> list[dict]:
    Member = apps.get_model("inspections", "InspectionMember")
    rows = Member.objects.filter(inspection_id=inspection.pk).select_related("inspector")
    return [
        {
            "position": m.position,
            "name": m.inspector.name,
            "certificate_number": m.inspector.certificate_number,
            "is_leader": m.position == 1,
            "borrowed": m.borrowed,
        }
        for m in rows.order_by("position")
    ]


def _item(item) -> dict:
    Item = type(item)
    return {
        "id": item.pk,
        "order": item.order,
        "code": item.check_item.code,
        "name": item.check_item.name,
        "content": item.check_item.content,
        "method": item.method,
        "method_label": _label(Item, "method", item.method) if item.method else "",
        "outcome": item.outcome,
        "outcome_label": _label(Item, "outcome", item.outcome) if item.outcome else "",
        "finding": item.finding,
        "not_applicable_reason": item.not_applicable_reason,
    }


def _items(record, apps) -> list[dict]:
    Item = apps.get_model("inspections", "CheckRecordItem")
    rows = Item.objects.filter(record_id=record.pk).select_related("check_item")
    return [_item(item) for item in rows.order_by("order")]


def record_snapshot(record_id: int, *, apps=global_apps) -> dict:
    """Everything the check record's PDF shows (Y3.3, Y3.5, N9, N11)."""
    CheckRecord = apps.get_model("inspections", "CheckRecord")
    Evidence = apps.get_model("inspections", "Evidence")
    Signature = apps.get_model("inspections", "Signature")
    record = CheckRecord.objects.select_related(
        "inspection__institution", "inspection__task__sector", "correction_of", "submitted_by"
    ).get(pk=record_id)
    inspection = record.inspection
    evidence = Evidence.objects.filter(record_id=record.pk).order_by("uploaded_at", "pk")
    signatures = Signature.objects.filter(record_id=record.pk).select_related("inspector")
    return {
        "format": FORMAT,
        "kind": "record",
        "bureau": settings.BUREAU_NAME,
        "number": f"{inspection.pk}-{record.version}",
        "task": _task(inspection.task),
        "institution": _institution(inspection.institution),
        "record": {
            "id": record.pk,
            "inspection_id": inspection.pk,
            "version": record.version,
            "is_submitted": record.status == "submitted",
            "inspected_on": _iso(record.inspected_on),
            "place": record.place,
            "certificates_shown": record.certificates_shown,
            "rights_told": record.rights_told,
            "statement": record.statement,
            "questions": record.questions,
            "representative_name": record.representative_name,
            "representative_title": record.representative_title,
            "representative_refused": record.representative_refused,
            "summary": record.summary,
            "submitted_at": _iso(record.submitted_at),
            "correction_of_version": record.correction_of.version if record.correction_of else None,
            "correction_reason": record.correction_reason,
        },
        "submitted_by": _person(record.submitted_by, apps),
        "members": _members(inspection, apps),
        "items": _items(record, apps),
        "evidence": [
            {
                "id": e.pk,
                "item_id": e.item_id,
                "original_name": e.original_name,
                "content_type": e.content_type,
                "size": e.size,
                "uploaded_at": _iso(e.uploaded_at),
                "sha256": e.sha256,
                "file": e.file.name,
            }
            for e in evidence
        ],
        "signatures": [
            {
                "id": s.pk,
                "role": s.role,
                "name": s.name,
                "certificate_number": s.inspector.certificate_number if s.inspector else "",
                "signed_at": _iso(s.signed_at),
                "confirmed_by": s.confirmed_by,
                "confirmed_label": _label(Signature, "confirmed_by", s.confirmed_by)
                if s.confirmed_by
                else "",
                "sha256": s.sha256,
                "file": s.image.name,
            }
            for s in signatures.order_by("signed_at", "pk")
        ],
    }


def report_snapshot(report_id: int, *, apps=global_apps) -> dict:
    """Everything the inspection report's PDF shows (N13, N10(5), Y3.6)."""
    Report = apps.get_model("inspections", "InspectionReport")
    Result = apps.get_model("inspections", "TargetResult")
    report = Report.objects.select_related(
        "task__sector", "drafted_by", "team_approved_by", "approved_by"
    ).get(pk=report_id)
    results = (
        Result.objects.filter(report_id=report.pk)
        .select_related("inspection__institution")
        .order_by("inspection__selection__order", "inspection__pk")
    )
    return {
        "format": FORMAT,
        "kind": "report",
        "bureau": settings.BUREAU_NAME,
        "task": _task(report.task),
        "report": {
            "id": report.pk,
            "is_approved": report.status == "approved",
            "inspected_from": _iso(report.inspected_from),
            "inspected_to": _iso(report.inspected_to),
            "content": report.content,
            "target_count": report.target_count,
            "findings": report.findings,
            "evaluation": report.evaluation,
            "handling": report.handling,
            "drafted_at": _iso(report.drafted_at),
            "team_approved_at": _iso(report.team_approved_at),
            "approved_at": _iso(report.approved_at),
        },
        "drafted_by": _person(report.drafted_by, apps),
        "team_approved_by": _person(report.team_approved_by, apps),
        "approved_by": _person(report.approved_by, apps),
        "results": [
            {
                "institution": _institution(r.inspection.institution),
                "members": [m["name"] for m in _members(r.inspection, apps)],
                "category": r.category,
                "category_label": _label(Result, "category", r.category) if r.category else "",
                "case_number": r.case_number,
                "receiving_authority": r.receiving_authority,
                "evaluation": r.evaluation,
                "handling": r.handling,
            }
            for r in results
        ],
    }


def feedback_snapshot(feedback_id: int, *, apps=global_apps) -> dict:
    """Everything the feedback letter shows (N14; the result of Y3.6, the ledger of N16)."""
    Feedback = apps.get_model("inspections", "Feedback")
    CheckRecord = apps.get_model("inspections", "CheckRecord")
    Ledger = apps.get_model("inspections", "LedgerEntry")
    Result = apps.get_model("inspections", "TargetResult")
    feedback = Feedback.objects.select_related(
        "inspection__institution", "inspection__task__sector"
    ).get(pk=feedback_id)
    inspection = feedback.inspection
    result = Result.objects.filter(inspection_id=inspection.pk).select_related("report").first()
    record = (
        CheckRecord.objects.filter(inspection_id=inspection.pk, status="submitted")
        .order_by("-version")
        .first()
    )
    items = _items(record, apps) if record else []
    ledger = (
        Ledger.objects.filter(inspection_id=inspection.pk)
        .select_related("item__check_item")
        .order_by("pk")
    )
    report = result.report if result else None
    return {
        "format": FORMAT,
        "kind": "feedback",
        "bureau": settings.BUREAU_NAME,
        "task": _task(inspection.task),
        "inspection_id": inspection.pk,
        "institution": _institution(inspection.institution),
        "feedback": {
            "method": feedback.method,
            "method_label": _label(Feedback, "method", feedback.method),
            "delivered_on": _iso(feedback.delivered_on),
        },
        "result": {
            "category": result.category if result else "",
            "category_label": _label(Result, "category", result.category)
            if result and result.category
            else "",
            "case_number": result.case_number if result else "",
            "receiving_authority": result.receiving_authority if result else "",
            "evaluation": result.evaluation if result else "",
            "handling": result.handling if result else "",
        },
        "report": {
            "inspected_from": _iso(report.inspected_from) if report else None,
            "inspected_to": _iso(report.inspected_to) if report else None,
            "approved_at": _iso(report.approved_at) if report else None,
        },
        "record": {"inspected_on": _iso(record.inspected_on) if record else None},
        "items": items,
        "ledger": [
            {"kind": e.kind, "item_name": e.item.check_item.name, "due_on": _iso(e.due_on)}
            for e in ledger
        ],
    }


def revive(value):
    """The snapshot with its dates and times as Python objects again (for the templates'
    `date` filter)."""
    if isinstance(value, list):
        return [revive(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if isinstance(item, str) and item and key in DATE_KEYS:
            out[key] = dt.date.fromisoformat(item)
        elif isinstance(item, str) and item and key in DATETIME_KEYS:
            out[key] = dt.datetime.fromisoformat(item)
        else:
            out[key] = revive(item)
    return out
