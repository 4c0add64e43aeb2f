"""The archive of a task as a download on its admin page (Y3.5, N10(6)): the same ZIP as
`manage.py export_archive` (inspections.services.archive), for staff who may view the task."""

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from core.audit import audit_record
from core.exceptions import ServiceError
from core.models import AuditEvent
from inspections.models import InspectionTask
from inspections.services.archive import archive_build, archive_filename


class TaskArchiveAdminMixin:
    """Adds `<task id>/archive/` (URL name admin:inspections_task_archive) to the task admin; the
    button is in templates/admin/inspections/inspectiontask/archive_button.html."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.archive_view)
        return [
            path("<int:pk>/archive/", view, name="inspections_task_archive"),
            *super().get_urls(),
        ]

    def archive_view(self, request, pk: int):
        task = get_object_or_404(InspectionTask, pk=pk)
        if not self.has_view_permission(request, task):
            raise PermissionDenied
        # On disk, not in memory: evidence makes archives of hundreds of megabytes. Deleted when
        # the response closes it.
        file = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 — FileResponse closes it
        try:
            result = archive_build(task=task, file=file)
        except ServiceError as exc:
            file.close()
            messages.error(request, exc.message)
            return redirect("admin:inspections_inspectiontask_change", task.pk)
        except BaseException:
            file.close()
            raise
        file.seek(0)
        audit_record(
            AuditEvent.Action.ARCHIVE_EXPORTED,
            request=request,
            target=task,
            detail={"manifest_sha256": result.manifest_sha256, "bytes": result.bytes_written},
        )
        return FileResponse(
            file,
            as_attachment=True,
            filename=archive_filename(task),
            content_type="application/zip",
        )
