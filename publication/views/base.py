"""What the paginated public pages share: 30 rows a page and the page numbers that
templates/registry/_pagination.html links."""

from django.core.paginator import Page
from django.views.generic import ListView

PAGE_SIZE = 30


def page_range(page: Page):
    """The page numbers to link, two either side of the current one, "…" for the gaps."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2)


class PublicListView(ListView):
    """A paginated public list; subclasses say which selector feeds it."""

    paginate_by = PAGE_SIZE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_range"] = page_range(context["page_obj"])
        return context
