"""The writes of the inspections app (plans, tasks, draws, fieldwork, reports, archive), one module
or package per part of the workflow. What other apps call is offered here, so they import from
`inspections.services`; inside the app, modules import each other directly.

The draws and plans are not listed yet: their services write the publication log through
publication.services, which imports this package (latest_records), so listing them here would
close an import circle. Import them from inspections.services.draws / .plans until the log has
moved into core (issue 13).
"""

from inspections.services.records import (
    evidence_add,
    record_latest,
    record_save_draft,
    record_start,
    record_submit,
)
from inspections.services.reports import (
    feedback_record,
    filing_receive,
    filing_submit,
    latest_records,
    ledger_close,
    ledger_update,
    report_approve,
    report_draft,
    report_team_approve,
    report_update,
    result_set,
)
from inspections.services.signatures import signature_add
from inspections.services.tasks import task_create_for_round, task_decide, task_submit

__all__ = [
    "evidence_add",
    "feedback_record",
    "filing_receive",
    "filing_submit",
    "latest_records",
    "ledger_close",
    "ledger_update",
    "record_latest",
    "record_save_draft",
    "record_start",
    "record_submit",
    "report_approve",
    "report_draft",
    "report_team_approve",
    "report_update",
    "result_set",
    "signature_add",
    "task_create_for_round",
    "task_decide",
    "task_submit",
]
