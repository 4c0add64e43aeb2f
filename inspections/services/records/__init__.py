"""Check records in the field (检查记录, Y3.3, Y3.5, N9, N11): started from the task's check items,
saved as the inspector types (idempotent by the client's revision), evidence and signatures added
on the tablet, submitted once every rule holds, then locked; a correction is a new version.

Only members of the inspection's team act on its record (`inspection_member`); the views answer
404 to everyone else (`inspections_of`).

Split by what happens to a record: `reads` (who may see what, what the tablet holds), `lifecycle`
(start, save, correct), `evidence` (photos and PDFs), `submission` (the rules, then the lock).
The signatures live in inspections.services.signatures. Import from here; the submodules import
each other directly.
"""

from inspections.services.records.evidence import (
    HEIF_BRANDS,
    IMAGE_FORMATS,
    MAX_EVIDENCE_BYTES,
    MAX_IMAGE_PIXELS,
    evidence_add,
    evidence_remove,
)
from inspections.services.records.lifecycle import (
    COPIED_FIELDS,
    Outcome,
    record_correct,
    record_save_draft,
    record_start,
)
from inspections.services.records.reads import (
    ITEM_FIELDS,
    RECORD_BOOL_FIELDS,
    RECORD_FIELDS,
    RECORD_TEXT_FIELDS,
    check_items_count_subquery,
    inspection_member,
    inspections_of,
    record_latest,
    record_state,
    task_check_items,
)
from inspections.services.records.submission import (
    MIN_SIGNERS,
    RecordIncomplete,
    record_problems,
    record_submit,
)

__all__ = [
    "COPIED_FIELDS",
    "HEIF_BRANDS",
    "IMAGE_FORMATS",
    "ITEM_FIELDS",
    "MAX_EVIDENCE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MIN_SIGNERS",
    "RECORD_BOOL_FIELDS",
    "RECORD_FIELDS",
    "RECORD_TEXT_FIELDS",
    "Outcome",
    "RecordIncomplete",
    "check_items_count_subquery",
    "evidence_add",
    "evidence_remove",
    "inspection_member",
    "inspections_of",
    "record_correct",
    "record_latest",
    "record_problems",
    "record_save_draft",
    "record_start",
    "record_state",
    "record_submit",
    "task_check_items",
]
