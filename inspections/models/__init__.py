from inspections.models.draws import Draw, DrawSelection, TeamMember
from inspections.models.plans import AnnualPlan, PlanRevision, PlanRound, PlanSection
from inspections.models.tasks import InspectionTask

__all__ = [
    "AnnualPlan",
    "Draw",
    "DrawSelection",
    "InspectionTask",
    "PlanRevision",
    "PlanRound",
    "PlanSection",
    "TeamMember",
]
