"""Spreadsheet imports of the registries (issue 2 §3); see docs/import-formats.md."""

from registry.imports.engine import ImportResult, RowError, registry_import, registry_import_file
from registry.imports.kinds import KINDS

__all__ = ["KINDS", "ImportResult", "RowError", "registry_import", "registry_import_file"]
