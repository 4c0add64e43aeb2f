"""The complete archive of a task (Y3.5: records, evidence and outcomes archived completely and
accurately; N10(6): what is filed with the legal-affairs office): a ZIP with every submitted check
record version (PDF), the report (PDF), the feedback letters (PDF) and proofs of delivery, the
follow-up ledger's evidence, the draw documents (JSON, every draw of the task including superseded
ones, byte for byte as published at /draws/<id>.json, with the verifier), the evidence files and
signature images, and `manifest.json` listing every file with its SHA-256 and size.

A PDF that was never rendered (or whose file is gone) is rendered now, synchronously. A PDF is a
rendering of the database, so one whose bytes no longer match its stored hash is rendered again
and counted; an evidence file or a signature that no longer matches the SHA-256 taken at upload is
primary data and stops the export (ServiceError) — an archive must not carry a changed file.

The manifest holds no export time and no filing data, so exporting unchanged data again gives the
same manifest: its SHA-256 identifies what was archived (Filing.manifest_sha256). The targets and
their teams are named as the submitted check records froze them (issue 12 §1), so renaming an
institution afterwards changes nothing. Once the task is filed, the manifest is kept with the filing
byte for byte (Filing.manifest_json): a later export checks every file against it and writes it
again, so the archive of a filed task always proves itself against the filing — or the export
stops, naming what differs.

Split into `build` (the ZIP, its manifest and the task's own files), `inspections` (each
inspection's files) and `writer` (what both write with). Import from here.
"""

from inspections.services.archive.build import (
    FORMAT,
    VERIFIER,
    archive_build,
    archive_filename,
    manifest_of,
)
from inspections.services.archive.writer import ArchiveResult

__all__ = [
    "FORMAT",
    "VERIFIER",
    "ArchiveResult",
    "archive_build",
    "archive_filename",
    "manifest_of",
]
