from inspections.models.draws import Draw, DrawSelection, RedrawRequest, TeamMember
from inspections.models.fieldwork import (
    CheckRecord,
    CheckRecordItem,
    Evidence,
    Inspection,
    InspectionMember,
    Signature,
    SigningPin,
    Tablet,
)
from inspections.models.plans import AnnualPlan, PlanRevision, PlanRound, PlanSection
from inspections.models.reports import (
    Feedback,
    Filing,
    InspectionReport,
    LedgerEntry,
    TargetResult,
)
from inspections.models.tasks import InspectionTask

__all__ = [
    "AnnualPlan",
    "CheckRecord",
    "CheckRecordItem",
    "Draw",
    "DrawSelection",
    "Evidence",
    "Feedback",
    "Filing",
    "Inspection",
    "InspectionMember",
    "InspectionReport",
    "InspectionTask",
    "LedgerEntry",
    "PlanRevision",
    "PlanRound",
    "PlanSection",
    "RedrawRequest",
    "Signature",
    "SigningPin",
    "Tablet",
    "TargetResult",
    "TeamMember",
]
