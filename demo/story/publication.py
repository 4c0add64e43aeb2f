"""The public face of the demo's first round: each institution's result made public (Y3.6), after
the feedback and before the ledger is closed, through the same service as the office's button."""

from demo.story.replay import replayed_at, shanghai
from inspections.models import InspectionReport
from publication.services import notice_publish_all


def notices(report: InspectionReport, *, staff) -> None:
    """Every result of the approved report published; those already public are left as they are."""
    with replayed_at(shanghai(2026, 6, 10, 10, 0)):  # Y3.6: within 20 working days of the end
        notice_publish_all(report=report, user=staff)
