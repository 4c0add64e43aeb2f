"""The office's screens for the one list and two registries (Chinese admin, history on every model,
exports through django-import-export, imports through the same pipeline as `import_registry`).

Split like registry.models: reference (jurisdictions, sectors), check_items, targets (institutions,
practitioners), supervision (records, risk policies and recomputations) and inspectors (and their
conflicts); common holds what they share (no deletion, the spreadsheet import page, the export).
Importing the package registers every screen once."""

# isort: off
# In the order the screens were always registered in.
from registry.admin import reference, check_items, targets, supervision, inspectors

# isort: on
from registry.admin.common import (
    MAX_ERRORS_SHOWN,
    UPLOAD_DIR,
    ImportForm,
    RegistryAdmin,
    SafeExportMixin,
    SpreadsheetAdmin,
    SpreadsheetImportMixin,
)

__all__ = [
    "MAX_ERRORS_SHOWN",
    "UPLOAD_DIR",
    "ImportForm",
    "RegistryAdmin",
    "SafeExportMixin",
    "SpreadsheetAdmin",
    "SpreadsheetImportMixin",
    "check_items",
    "inspectors",
    "reference",
    "supervision",
    "targets",
]
