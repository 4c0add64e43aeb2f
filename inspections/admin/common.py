"""Small helpers shared by the plan, task and draw screens."""

from django.contrib import messages
from django.template.response import TemplateResponse

from core.exceptions import ServiceError


def show_service_error(request, exc: ServiceError) -> None:
    """A refusal can list several problems, one per line: one message each."""
    for line in str(exc).splitlines():
        if line.strip():
            messages.error(request, line)


def render_page(model_admin, request, template: str, title: str, obj=None, **context):
    """A custom admin page with the admin's header, sidebar and breadcrumbs context."""
    return TemplateResponse(
        request,
        f"admin/inspections/{template}",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": title,
            "original": obj,
            **context,
        },
    )
