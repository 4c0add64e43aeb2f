"""Small helpers shared by the office's screens: a refusal shown, a custom page rendered, the
change page's own context, the read-only admins, and the links to signed documents."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext

from core.admin.common import ReadOnlyHistoryAdmin
from core.admin.common import render_page as core_render_page
from core.downloads import download_link, download_url
from core.exceptions import ServiceError

LATE = "insp-late"  # what is late or superseded, in the admin's red (static/css/admin.css)


def show_service_error(request, exc: ServiceError) -> None:
    """A refusal can list several problems, one per line: one message each."""
    for line in str(exc).splitlines():
        if line.strip():
            messages.error(request, line)


def service_call(
    request, success: str, service, *, form=None, level: int = messages.SUCCESS, **arguments
):
    """Call `service(**arguments)` and return what it returns (the object it wrote), with the
    `success` message. A refusal returns None instead: its message goes on `form` when given,
    otherwise one message per line (show_service_error)."""
    try:
        result = service(**arguments)
    except ServiceError as exc:
        if form is not None:
            form.add_error(None, str(exc))
        else:
            show_service_error(request, exc)
        return None
    messages.add_message(request, level, success)
    return result


def render_page(model_admin, request, template: str, title: str, obj=None, **context):
    """A custom page of the inspections' admin (templates/admin/inspections/), about `obj`."""
    return core_render_page(
        model_admin, request, f"admin/inspections/{template}", title, original=obj, **context
    )


class ChangeContextMixin:
    """The change page of an object gets `change_context(request, obj)` in its template (a missing
    object gets nothing: the admin answers that it does not exist)."""

    def change_context(self, request, obj) -> dict:
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = self.change_context(request, obj) if obj is not None else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


# The read-only admin with the model's history is core's (core.admin.common); its name here is
# the one the inspections' screens have always used.
ReadOnlyAdmin = ReadOnlyHistoryAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AddedByServiceMixin:
    """Added on the admin's own page through a service; never changed or deleted here."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def document_link(obj, field: str, *, signed: bool = True) -> str:
    """The download of a signed document (core/downloads.py); one not rendered yet is rendered by
    the download; nothing ("—") while the document is not signed and has no file."""
    if getattr(obj, field):
        return download_link(obj, field)
    if not signed:
        return "—"
    return format_html('<a href="{}">{}</a>', download_url(obj, field), gettext("生成并下载"))
