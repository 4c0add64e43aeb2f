"""After the visits, in the office (N13, N10(5), N14, Y3.6, N16, N10(6)): the inspections and their
check records (read-only: the inspectors write them on /inspect/), the report with each target's
result and its approval, the feedback, the follow-up ledger and the filing. Every write goes
through inspections.services.reports; a refusal's message is shown as it is.

One module per step: `records`, `review`, `feedback`, `ledger`, `filing`, and the staff
`downloads` of their files. Importing this package registers each admin once.
"""

from inspections.admin.common import ReadOnlyAdmin, ReadOnlyInline
from inspections.admin.reports import downloads
from inspections.admin.reports.feedback import FeedbackAdmin, FeedbackForm
from inspections.admin.reports.filing import FilingAdmin, FilingForm
from inspections.admin.reports.ledger import (
    LedgerCloseForm,
    LedgerEntryAdmin,
    LedgerForm,
    LedgerStateFilter,
)
from inspections.admin.reports.records import CheckRecordAdmin, InspectionAdmin
from inspections.admin.reports.review import (
    DraftForm,
    InspectionReportAdmin,
    ReportForm,
    ResultForm,
    ResultFormSet,
)

__all__ = [
    "CheckRecordAdmin",
    "DraftForm",
    "FeedbackAdmin",
    "FeedbackForm",
    "FilingAdmin",
    "FilingForm",
    "InspectionAdmin",
    "InspectionReportAdmin",
    "LedgerCloseForm",
    "LedgerEntryAdmin",
    "LedgerForm",
    "LedgerStateFilter",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "ReportForm",
    "ResultForm",
    "ResultFormSet",
    "downloads",
]
