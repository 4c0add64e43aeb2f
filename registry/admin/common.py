"""What every registry screen shares: records are never deleted (RegistryAdmin), and the
spreadsheet import page and the export that the registries and the check-item list offer
(SpreadsheetAdmin, both together)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from core.admin.common import ImportPageMixin, render_page
from core.exceptions import ServiceError
from registry import resources
from registry.imports import registry_import_file, uploads

UPLOAD_DIR = uploads.UPLOAD_DIR
MAX_ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("表格文件"),
        help_text=_(".xlsx 或 UTF-8 编码的 .csv；表头为中文列名，见导入格式说明。"),
    )


class SpreadsheetImportMixin(ImportPageMixin):
    """An "import" page in the changelist: check the file first (nothing written), show every bad
    row or what would change, then import on confirmation — all or nothing."""

    import_kind: str = ""
    change_list_template = "admin/registry/change_list_import.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import-spreadsheet/",
                self.admin_site.admin_view(self.spreadsheet_import_view),
                name="{}_{}_spreadsheet_import".format(*info),
            ),
        ] + super().get_urls()

    def spreadsheet_import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            "kind": self.import_kind,
            "upload_minutes": settings.IMPORT_UPLOAD_MAX_AGE // 60,
        }
        if request.method == "POST" and request.POST.get("cancel"):
            return self._cancel(request, request.POST["cancel"])
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm(request, request.POST["token"])
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            self._check(request, form, context)
        title = gettext("从表格导入：%(name)s") % {"name": self.opts.verbose_name_plural}
        template = "admin/registry/spreadsheet_import.html"
        return render_page(self, request, template, title, form=form, **context)

    # The file waiting for its confirmation is this session's, one per kind: a new upload
    # replaces it, and no one else can confirm it (registry.imports.uploads).
    def _session_key(self) -> str:
        return f"registry-import-upload:{self.import_kind}"

    def _waiting(self, request, token: str) -> bool:
        return request.session.get(self._session_key()) == token

    def _forget(self, request) -> None:
        token = request.session.pop(self._session_key(), None)
        if token:
            uploads.upload_discard(token)

    def _check(self, request, form, context) -> None:
        self._forget(request)  # replaced by this upload
        token = uploads.upload_store(form.cleaned_data["file"])
        try:
            result = registry_import_file(
                kind=self.import_kind, path=uploads.upload_path(token), dry_run=True
            )
        except ServiceError as exc:
            uploads.upload_discard(token)
            form.add_error("file", str(exc))
            return
        except BaseException:
            uploads.upload_discard(token)  # a crash must not leave the file behind
            raise
        if result.ok:
            uploads.upload_touch(token)
            request.session[self._session_key()] = token
            context["token"] = token
        else:
            uploads.upload_discard(token)
        context["result"] = result
        context["errors_shown"] = result.errors[:MAX_ERRORS_SHOWN]
        context["file_name"] = form.cleaned_data["file"].name

    def _token(self, value: str) -> str:
        try:
            return uploads.upload_token(value)
        except ValueError as exc:
            raise PermissionDenied from exc

    def _cancel(self, request, value: str):
        token = self._token(value)
        if self._waiting(request, token):
            self._forget(request)
        messages.info(request, gettext("已取消导入，上传的文件已删除。"))
        return redirect(request.path)

    def _confirm(self, request, value: str):
        token = self._token(value)
        stored = uploads.upload_claim(token) if self._waiting(request, token) else None
        if stored is None:
            if self._waiting(request, token):
                self._forget(request)  # expired
            messages.error(request, gettext("上传的文件已失效，请重新上传。"))
            return redirect(request.path)
        request.session.pop(self._session_key(), None)
        try:
            result = registry_import_file(
                kind=self.import_kind,
                path=stored,
                user=request.user,
                reason=gettext("后台表格导入"),
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        finally:
            uploads.upload_discard(token)
        if result.ok:
            messages.success(request, gettext("导入完成：") + result.summary())
            info = self.opts.app_label, self.opts.model_name
            return redirect(reverse("admin:{}_{}_changelist".format(*info)))
        for error in result.errors[:20]:
            messages.error(request, str(error))
        return redirect(request.path)


class SafeExportMixin(ExportMixin):
    """django-import-export's export in the two formats the import reads back, neither of which
    writes a formula (registry.resources.EXPORT_FORMATS; docs/import-formats.md §2)."""

    export_formats = resources.EXPORT_FORMATS


class RegistryAdmin(SimpleHistoryAdmin):
    """Records are never deleted from the registries; their status changes instead (N6)."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class SpreadsheetAdmin(SpreadsheetImportMixin, SafeExportMixin, RegistryAdmin):
    """A registry (or the check-item list) that is imported and exported as a spreadsheet: set
    `import_kind` (a KIND of import_registry) and `resource_classes` (what the export writes)."""
