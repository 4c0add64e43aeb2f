"""The views of the inspections app: the public pages of plans and draws (`public`) and the
inspectors' screens on /inspect/ (`inspect`, routed by inspections/urls_inspect.py)."""

from inspections.views.public import (
    DrawDetailView,
    DrawJsonView,
    DrawListJsonView,
    DrawListView,
    PlanDetailView,
    PlanListView,
    VerifierDownloadView,
)

__all__ = [
    "DrawDetailView",
    "DrawJsonView",
    "DrawListJsonView",
    "DrawListView",
    "PlanDetailView",
    "PlanListView",
    "VerifierDownloadView",
]
