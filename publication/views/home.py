"""The front page: the registries' counts, the latest results and this year's plans."""

from django.utils import timezone
from django.views.generic import TemplateView

from inspections.selectors import plans_current
from publication.selectors import results_latest
from registry import selectors

HOME_RESULTS = 8


class HomeView(TemplateView):
    template_name = "registry/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.registry_counts(day=timezone.localdate())
        context["latest_results"] = results_latest(count=HOME_RESULTS)
        context["plans"] = plans_current(year=timezone.localdate().year)
        return context
