"""The public results (一公开, Y3.6): the list with search and filters, each notice, and the open
data (/results.csv, /results.json, /results.atom) honouring the same filters. No login."""

import csv
import hashlib
import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from core.spreadsheets import csv_row
from inspections.models import TargetResult
from publication import selectors
from publication.models import Publication
from publication.views.base import PublicListView, public_or_404
from registry import selectors as registry_selectors

COUNT_CACHE_SECONDS = 600
ATOM_SIZE = 50
CSV_FIELDS = [
    "id",
    "version",
    "target_name",
    "credit_code",
    "sector",
    "jurisdiction",
    "year",
    "task",
    "items",
    "legal_basis",
    "result",
    "case_number",
    "receiving_authority",
    "findings",
    "inspected_from",
    "inspected_to",
    "authority",
    "inspectors",
    "published_at",
    "late",
    "url",
]


class CountCachedPaginator(Paginator):
    """The total of a filtered list, counted once per filter set, process and state of the
    publications: counting 100,000 rows is most of a list page's database time. The key holds the
    latest entry of the publication log, so any publication, correction or withdrawal counts
    afresh at once, in every process."""

    def __init__(self, *args, cache_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache_key = cache_key

    @cached_property
    def count(self) -> int:
        count = cache.get(self.cache_key)
        if count is None:
            count = super().count
            cache.set(self.cache_key, count, COUNT_CACHE_SECONDS)
        return count


class ResultListView(PublicListView):
    template_name = "publication/result_list.html"
    context_object_name = "notices"

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        latest = (
            Publication.objects.filter(kind=Publication.Kind.RESULT)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        filters = json.dumps(self.filters.as_query(), sort_keys=True, ensure_ascii=False)
        key = f"results-count:{latest}:" + hashlib.sha256(filters.encode()).hexdigest()
        return CountCachedPaginator(
            queryset, per_page, orphans, allow_empty_first_page, cache_key=key, **kwargs
        )

    def get_queryset(self):
        self.filters = selectors.ResultFilters.from_query(self.request.GET)
        return (
            selectors.results_public(filters=self.filters)
            .select_related(None)
            .only(*selectors.LIST_FIELDS)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.filters.as_query()
        # What each row shows, prepared here: the template engine's per-row lookups, filters and
        # URL reversals were most of the page's time at 30 rows (bench/public_load.py).
        labels = {value: str(label) for value, label in TargetResult.Category.choices}
        sector_list = cache.get_or_set("public-sectors", registry_selectors.sectors_all, 300)
        sectors = {sector.pk: str(sector) for sector in sector_list}
        detail = reverse("publication:result_detail", args=[0]).removesuffix("0/")
        for notice in context["notices"]:
            notice.category_label = labels.get(notice.category, "")
            notice.sector_name = sectors.get(notice.sector_id, "")
            notice.url = f"{detail}{notice.pk}/"
            start, end = notice.inspected_from.isoformat(), notice.inspected_to.isoformat()
            notice.period = start if start == end else f"{start} — {end}"
            notice.published_day = timezone.localdate(notice.published_at).isoformat()
        context.update(
            filters=self.filters,
            # The filters' choices change a few times a year: five minutes per process will do.
            sectors=sector_list,
            jurisdictions=cache.get_or_set(
                "public-jurisdictions", registry_selectors.jurisdictions_all, 300
            ),
            categories=TargetResult.Category.choices,
            years=range(2020, 2031),
            open_data={
                fmt: reverse(f"publication:result_list_{fmt}")
                + ("?" + urlencode(query) if query else "")
                for fmt in ("csv", "json", "atom")
            },
        )
        return context


class ResultDetailView(TemplateView):
    template_name = "publication/result_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notice = public_or_404(selectors.result_public_get(notice_id=kwargs["pk"]))
        context.update(notice=notice, versions=selectors.notice_versions(notice=notice))
        return context


def _notices(request, *, limit: int | None = None):
    """The filtered notices, to iterate. Called in the view, not in the stream: whatever it refuses
    is refused before the first byte, never a cut-off document."""
    filters = selectors.ResultFilters.from_query(request.GET)
    notices = selectors.results_public(filters=filters)
    return notices[:limit].iterator(chunk_size=2000)


class _Echo:
    def write(self, value):
        return value


class ResultCsvView(View):
    """UTF-8 with a BOM (so spreadsheet programs read the Chinese); lists joined with "；"; a text
    that a spreadsheet would run as a formula gets a leading apostrophe (docs/open-data.md)."""

    def get(self, request):
        writer = csv.writer(_Echo())
        notices = _notices(request)

        def rows():
            yield "\ufeff" + writer.writerow(CSV_FIELDS)
            for notice in notices:
                data = selectors.notice_public_dict(notice)
                data["items"] = "；".join(f"{i['code']} {i['name']}" for i in data["items"])
                data["legal_basis"] = "；".join(data["legal_basis"])
                data["inspectors"] = "；".join(
                    f"{p['name']}（{p['certificate']}）" for p in data["inspectors"]
                )
                data["url"] = request.build_absolute_uri(data["url"])
                yield writer.writerow(csv_row(data[f] for f in CSV_FIELDS))

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="results.csv"'
        return response


class ResultJsonView(View):
    """{"format": …, "results": [...]}: streamed, so a complete export stays small in memory."""

    def get(self, request):
        notices = _notices(request)

        def chunks():
            authority = json.dumps(settings.BUREAU_NAME, ensure_ascii=False)
            yield f'{{"format": "shuangsuiji-results/1", "authority": {authority}, "results": ['
            for n, notice in enumerate(notices):
                data = selectors.notice_public_dict(notice)
                data["url"] = request.build_absolute_uri(data["url"])
                yield ("," if n else "") + json.dumps(
                    data, ensure_ascii=False, cls=DjangoJSONEncoder
                )
            yield "]}"

        return StreamingHttpResponse(chunks(), content_type="application/json; charset=utf-8")


class ResultAtomView(View):
    def get(self, request):
        feed = Atom1Feed(
            title=_("%(bureau)s 双随机抽查结果") % {"bureau": settings.BUREAU_NAME},
            link=request.build_absolute_uri(reverse("publication:result_list")),
            description=_("最新公开的抽查结果"),
            language="zh-hans",
            feed_url=request.build_absolute_uri(request.get_full_path()),
        )
        categories = dict(TargetResult.Category.choices)
        for notice in _notices(request, limit=ATOM_SIZE):
            link = request.build_absolute_uri(
                reverse("publication:result_detail", args=[notice.pk])
            )
            feed.add_item(
                title=f"{notice.target_name}（{notice.credit_code}）："
                f"{categories.get(notice.category, '')}",
                link=link,
                unique_id=link,
                description=_("%(from)s 至 %(to)s，%(authority)s 检查。")
                % {
                    "from": notice.inspected_from,
                    "to": notice.inspected_to,
                    "authority": notice.authority,
                },
                pubdate=notice.published_at,
                updateddate=notice.published_at,
            )
        response = StreamingHttpResponse(
            [feed.writeString("utf-8")], content_type="application/atom+xml; charset=utf-8"
        )
        return response
