"""The one list and two registries (一单两库, SPEC §1): jurisdictions, sectors, the check-item list,
institutions and practitioners (targets), their supervision history, inspectors and conflicts.

Split along those seams: reference (jurisdictions, sectors), check_items, targets (institutions,
practitioners), supervision (history and risk tiers), inspectors (and their conflicts). Import
from here, `registry.models`: every model, its queryset and its choices are named below, and so
are the history models simple-history makes beside each (`HistoricalInstitution`…)."""

# isort: off
# In the order the models were always defined in: Django registers them as they are imported, and
# that order is the order of their content types and permissions in a new database.
from registry.models.reference import (
    HistoricalJurisdiction,
    HistoricalJurisdiction_neighbours,
    Jurisdiction,
    Sector,
)
from registry.models.check_items import CheckItem, CheckItemQuerySet, HistoricalCheckItem, Method
from registry.models.targets import (
    HistoricalInstitution,
    HistoricalPractitioner,
    Institution,
    InstitutionQuerySet,
    Practitioner,
    RiskTier,
)
from registry.models.supervision import (
    HistoricalRiskPolicy,
    HistoricalSupervisionRecord,
    RiskPolicy,
    RiskRefresh,
    SupervisionRecord,
)
from registry.models.inspectors import (
    Conflict,
    HistoricalConflict,
    HistoricalInspector,
    HistoricalInspector_sectors,
    Inspector,
    InspectorQuerySet,
)
# isort: on

__all__ = [
    "CheckItem",
    "CheckItemQuerySet",
    "Conflict",
    "HistoricalCheckItem",
    "HistoricalConflict",
    "HistoricalInspector",
    "HistoricalInspector_sectors",
    "HistoricalInstitution",
    "HistoricalJurisdiction",
    "HistoricalJurisdiction_neighbours",
    "HistoricalPractitioner",
    "HistoricalRiskPolicy",
    "HistoricalSupervisionRecord",
    "Inspector",
    "InspectorQuerySet",
    "Institution",
    "InstitutionQuerySet",
    "Jurisdiction",
    "Method",
    "Practitioner",
    "RiskPolicy",
    "RiskRefresh",
    "RiskTier",
    "Sector",
    "SupervisionRecord",
]
