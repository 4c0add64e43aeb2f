"""Staff downloads of stored files (issue 12 §7): evidence, signatures, check-record and report
PDFs, feedback letters and proofs, ledger material, credit-feed files. Production does not serve
`/media/` (it holds evidence and personal data), so every admin link points here instead:
`/admin/files/<app>.<model>/<id>/<field>/`, which answers only a logged-in staff user with the
model's view permission — anyone else gets 404, as for a row that is not there.

Each app registers the file fields it offers (`downloadable(...)`, in its admin module), with the
queryset the user may see (their own room) and, for documents, how to render one that is
missing. The file goes out through Django, or — with `PROTECTED_MEDIA_ACCEL_PREFIX` set — by the
reverse proxy from an internal location (nginx `X-Accel-Redirect`, docs/deployment.md §6).
"""

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from core.audit import audit_record
from core.models import AuditEvent


@dataclass(frozen=True)
class Downloadable:
    model: type[models.Model]
    field: str
    filename: Callable[[models.Model], str] | None = None
    queryset: Callable[..., models.QuerySet] | None = None
    render: Callable[[models.Model], object] | None = None
    inline: bool = False  # shown in the page (a signature image) rather than saved


_registry: dict[str, Downloadable] = {}


def _key(model: type[models.Model], field: str) -> str:
    return f"{model._meta.label_lower}.{field}"


def downloadable(
    model: type[models.Model],
    field: str,
    *,
    filename: Callable[[models.Model], str] | None = None,
    queryset: Callable[..., models.QuerySet] | None = None,
    render: Callable[[models.Model], object] | None = None,
    inline: bool = False,
) -> None:
    """Offer `model.field` for download to staff who may view the model."""
    _registry[_key(model, field)] = Downloadable(model, field, filename, queryset, render, inline)


def download_url(instance: models.Model, field: str) -> str:
    return reverse("staff_file", args=[instance._meta.label_lower, instance.pk, field])


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_response(
    file,
    *,
    filename: str,
    inline: bool = False,
    content_type: str = "",
    cache: str = "private, no-store",
) -> HttpResponse:
    """The stored file as a response: through the proxy when it is configured for it."""
    content_type = content_type or _content_type(file.name)
    disposition = "inline" if inline else "attachment"
    prefix = settings.PROTECTED_MEDIA_ACCEL_PREFIX
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(file.name)
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    else:
        response = FileResponse(
            file.storage.open(file.name, "rb"),
            as_attachment=not inline,
            filename=filename,
            content_type=content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = cache
    return response


def staff_file(request, label: str, pk: int, field: str) -> HttpResponse:
    """The view behind every staff download link (wrapped by the admin site: staff only)."""
    entry = _registry.get(f"{label}.{field}")
    if entry is None or not 0 < pk < 2**63:  # no id beyond PostgreSQL's bigint reaches a query
        raise Http404
    meta = entry.model._meta
    if not request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}"):
        raise Http404  # no existence leak: the same answer as for a row that is not there
    queryset = entry.queryset(request) if entry.queryset else entry.model._default_manager.all()
    instance = get_object_or_404(queryset, pk=pk)
    file = getattr(instance, entry.field)
    if not file and entry.render is not None:
        entry.render(instance)  # a document not rendered yet: rendered now
        file = getattr(instance, entry.field)
    if not file or not file.storage.exists(file.name):
        raise Http404
    name = entry.filename(instance) if entry.filename else file.name.rsplit("/", 1)[-1]
    # Evidence, signatures and documents hold personal data: every download is audited (issue 14 §3).
    audit_record(
        AuditEvent.Action.DOWNLOADED, request=request, target=instance, detail={"field": field}
    )
    return file_response(file, filename=name, inline=entry.inline)


def download_link(instance: models.Model, field: str, label: str | None = None) -> str:
    """An admin link to the file, or a dash when there is none."""
    if not getattr(instance, field):
        return "—"
    return format_html(
        '<a href="{}">{}</a>', download_url(instance, field), label or gettext("下载")
    )
