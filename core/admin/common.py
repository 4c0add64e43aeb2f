"""What the office's screens share, in core and in the apps above it: read-only lists, a yes/no
filter on a timestamp, a changelist with an import page, and the frame of a custom admin page."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyMixin:
    """A list written by the services or the system only, never on this screen (Y4(2): who was
    told what, and when, stays as it was)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyHistoryAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    """A read-only admin with the model's history (fieldwork, reports, the publication log)."""


class TimestampFilter(admin.SimpleListFilter):
    """Yes or no: is the moment `field` set (sent, read…)? `yes` and `no` name the two choices."""

    field: str
    yes: str
    no: str

    def lookups(self, request, model_admin):
        return [("yes", self.yes), ("no", self.no)]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class ImportPageMixin:
    """A changelist with an import page: importing needs the rights to add and to change, and the
    list shows the page's button (`can_import`) only to those who have both."""

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)


def render_page(model_admin, request, template: str, title, **context) -> TemplateResponse:
    """A custom page of `model_admin`'s, with the admin's header, sidebar and breadcrumbs."""
    return TemplateResponse(
        request,
        template,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": title,
            **context,
        },
    )
