"""What `manage.py restore` checks in the restored data for the inspections (issue 14 §6; registered
with core.backups.restore_check in InspectionsConfig.ready()): every publicly verifiable draw still
recomputes from its public document, and every filed task's archive still matches, file for file
and byte for byte, the manifest kept with its filing."""

import tempfile

from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections import selectors
from inspections.models import Draw, Filing
from inspections.services.archive import archive_build
from inspections.services.draws import draw_verify
from tools import verify_draw as algorithm


def draws_verify_all() -> list[str]:
    """One line per executed, publicly verifiable draw that no longer recomputes (the verifier's
    first mismatch, in Chinese and English), [] when all do."""
    problems = []
    draws = Draw.objects.filter(status=Draw.Status.EXECUTED, verifiable=True).order_by("pk")
    for draw in draws.iterator(chunk_size=20):
        found = draw_verify(draw)
        if not found:
            mismatch = selectors.draw_rows_mismatch(draw=draw)
            found = [mismatch] if mismatch else []
        if found:
            first = " / ".join(algorithm.mismatch_lines(found[0]))
            problems.append(_("抽取 %(id)s：%(problem)s") % {"id": draw.pk, "problem": first})
    return problems


def filings_verify_all() -> list[str]:
    """One line per filed task whose archive no longer matches its filing's manifest."""
    problems = []
    for filing in Filing.objects.select_related("task").exclude(manifest_json="").order_by("pk"):
        with tempfile.TemporaryFile() as handle:
            try:
                result = archive_build(task=filing.task, file=handle)
            except ServiceError as exc:
                problems.append(
                    _("任务 %(id)s 的归档：%(problem)s") % {"id": filing.task_id, "problem": exc}
                )
                continue
        if result.rendered or result.manifest_sha256 != filing.manifest_sha256:
            problems.append(
                _("任务 %(id)s 的归档清单与备案时的 SHA-256 不符。") % {"id": filing.task_id}
            )
    return problems
