"""Public pages of the annual plans (Y3.4): anonymous, read-only."""

from django.views.generic import TemplateView

from inspections import selectors
from publication.views.base import PublicListView, public_or_404


class PlanListView(PublicListView):
    """Published annual plans (Y3.4: by 31 January; later ones are marked late)."""

    template_name = "inspections/plan_list.html"
    context_object_name = "plans"

    def get_queryset(self):
        return selectors.plan_public_list()


class PlanDetailView(TemplateView):
    """One published plan (Y3.4, N7) with its revision history; drafts are 404."""

    template_name = "inspections/plan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        public = public_or_404(selectors.plan_public_get(plan_id=kwargs["pk"]))
        context.update(
            plan=public.plan,
            sections=public.sections,
            revisions=public.revisions,
            content_revision=public.content_revision,
        )
        return context
