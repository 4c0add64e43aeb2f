"""Public pages of the one list and two registries (一单两库 published, N6): no login needed."""

from django.http import HttpRequest
from django.utils import timezone
from django.views.generic import TemplateView

from publication.selectors import results_of_institution
from publication.views.base import PublicListView, public_or_404
from registry import selectors
from registry.models import Institution, Sector
from registry.validators import DIVISION_RE


def public_filters(
    request: HttpRequest, *, statuses: list[str] | None = None
) -> selectors.PublicFilters:
    """The query string of a public list, cleaned: unknown values are ignored, not errors (a NUL
    never gets here: core.middleware.QueryStringMiddleware)."""
    params = request.GET
    sector = params.get("sector", "")
    jurisdiction = params.get("jurisdiction", "")
    status = params.get("status", "")
    return selectors.PublicFilters(
        q=params.get("q", "").strip()[: selectors.SEARCH_MAX_LENGTH],
        sector=sector if sector in Sector.Code.values else "",
        jurisdiction=jurisdiction if DIVISION_RE.match(jurisdiction) else "",
        status=status if statuses and status in statuses else "",
    )


class RegistryListView(PublicListView):
    """A registry searchable by name or code, sector and jurisdiction (and status where given)."""

    statuses: list[str] | None = None

    def get_filters(self) -> selectors.PublicFilters:
        if not hasattr(self, "_filters"):
            self._filters = public_filters(self.request, statuses=self.statuses)
        return self._filters

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filters=self.get_filters(),
            sectors=selectors.sectors_all(),
            jurisdictions=selectors.jurisdictions_all(),
        )
        return context


class CheckItemListView(TemplateView):
    """The check-item list (抽查事项清单, N5, Y3.1) per sector, as in force today."""

    template_name = "registry/checkitem_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        sectors = selectors.sectors_all()
        current = self.request.GET.get("sector", "")
        shown = [s for s in sectors if s.code == current] or sectors
        context.update(
            today=today,
            sectors=sectors,
            current_sector=current if len(shown) == 1 else "",
            sector_lists=selectors.checkitem_list_by_sector(day=today, sectors=shown),
        )
        return context


class InstitutionListView(RegistryListView):
    """The target registry (检查对象名录库, Y3.2). The risk tier is internal: never shown here."""

    template_name = "registry/institution_list.html"
    context_object_name = "institutions"
    statuses = Institution.Status.values

    def get_queryset(self):
        return selectors.institution_public_list(filters=self.get_filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = Institution.Status.choices
        return context


class InstitutionDetailView(TemplateView):
    template_name = "registry/institution_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = public_or_404(
            selectors.institution_public_get(credit_code=kwargs["credit_code"])
        )
        context["institution"] = institution
        # Y3.2: its page gathers the inspection results too.
        context["results"] = results_of_institution(credit_code=institution.credit_code)
        return context


class InspectorListView(RegistryListView):
    """The inspector registry (执法检查人员名录库, Y3.3): no phone, ID or login account."""

    template_name = "registry/inspector_list.html"
    context_object_name = "inspectors"

    def get_queryset(self):
        return selectors.inspector_public_list(filters=self.get_filters())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context
