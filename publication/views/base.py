"""What the public pages share: 30 rows a page, the page numbers that
templates/registry/_pagination.html links, and a 404 for what is not public."""

from typing import TypeVar

from django.core.paginator import Page
from django.http import Http404
from django.views.generic import ListView

T = TypeVar("T")

PAGE_SIZE = 30


def page_range(page: Page):
    """The page numbers to link, two either side of the current one, "…" for the gaps."""
    return page.paginator.get_elided_page_range(page.number, on_each_side=2)


def public_or_404(found: T | None) -> T:
    """What a public selector found, or a 404 where it found nothing (an unknown id, a draft,
    anything not published)."""
    if found is None:
        raise Http404
    return found


class PublicListView(ListView):
    """A paginated public list; subclasses say which selector feeds it."""

    paginate_by = PAGE_SIZE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_range"] = page_range(context["page_obj"])
        return context
