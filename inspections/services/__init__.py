"""The writes of the inspections app (plans, tasks, draws, fieldwork, reports, archive), one module
or package per part of the workflow. What other apps call is offered here, so they import from
`inspections.services`; inside the app, modules import each other directly.
"""

from inspections.services.draws import draw_announce, draw_document, draw_execute, draw_inputs
from inspections.services.plans import plan_publish
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
from inspections.services.sources import draw_timing_problems
from inspections.services.tablets import (
    BINDING_CODE_MINUTES,
    tablet_new_code,
    tablet_register,
)
from inspections.services.tasks import task_create_for_round, task_decide, task_submit

__all__ = [
    "draw_announce",
    "draw_document",
    "draw_execute",
    "draw_inputs",
    "draw_timing_problems",
    "plan_publish",
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
    "tablet_new_code",
    "tablet_register",
    "BINDING_CODE_MINUTES",
    "task_create_for_round",
    "task_decide",
    "task_submit",
]
