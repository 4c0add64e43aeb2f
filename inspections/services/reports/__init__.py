"""After the visits: the inspection report and each target's result (N13, N10(5), Y3.6), the
feedback to each target (N14), the follow-up ledger (Y3.6, N16) and the filing with the
legal-affairs office that closes the task (N10(6)).

One module per step: `drafting`, `approval`, `feedback`, `ledger`, `filing`. Import from here;
the submodules import each other directly.
"""

from inspections.services.reports.approval import report_approve, report_team_approve
from inspections.services.reports.drafting import (
    REPORT_TEXT_FIELDS,
    latest_records,
    report_draft,
    report_update,
    result_set,
)
from inspections.services.reports.feedback import feedback_record
from inspections.services.reports.filing import (
    filing_blockers,
    filing_receive,
    filing_submit,
    task_progress,
)
from inspections.services.reports.ledger import ledger_close, ledger_update

__all__ = [
    "REPORT_TEXT_FIELDS",
    "feedback_record",
    "filing_blockers",
    "filing_receive",
    "filing_submit",
    "latest_records",
    "ledger_close",
    "ledger_update",
    "report_approve",
    "report_draft",
    "report_team_approve",
    "report_update",
    "result_set",
    "task_progress",
]
