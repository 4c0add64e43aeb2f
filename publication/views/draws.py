"""Public pages of the double random draws (N10–N12, RFC 3797): anonymous, read-only. Each draw
is published twice: a page that explains it in plain Chinese and the JSON document that
tools/verify_draw.py recomputes. (The annual plans' pages are in publication/views/plans.py.)"""

import functools
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from django.core.paginator import Paginator
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from inspections import selectors
from inspections.services import draw_document, draw_timing_problems
from publication.views.base import PublicListView, page_range, public_or_404
from tools import verify_draw as algorithm

SELECTIONS_PAGE_SIZE = 50
VERIFIER_PATH = Path(algorithm.__file__)
JSON_CHUNK = 64 * 1024
JSON_LIST_BATCH = 1000


@functools.cache
def verifier_sha256() -> str:
    """SHA-256 of the verifier as served, shown next to the download link."""
    return hashlib.sha256(VERIFIER_PATH.read_bytes()).hexdigest()


def _json_pieces(value, depth: int = 0) -> Iterator[str]:
    """Compact JSON of `value`, produced piece by piece: dicts near the top are walked and long
    lists (the frozen pools) are encoded in batches, so a 40,000-entry pool is never one string.
    The concatenation equals json.dumps(value, ensure_ascii=False, separators=(",", ":"))."""
    if isinstance(value, dict) and depth < 4:
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _json_pieces(item, depth + 1)
        yield "}"
    elif isinstance(value, list) and len(value) > JSON_LIST_BATCH:
        yield "["
        for start in range(0, len(value), JSON_LIST_BATCH):
            batch = value[start : start + JSON_LIST_BATCH]
            text = json.dumps(batch, ensure_ascii=False, separators=(",", ":"))
            yield ("," if start else "") + text[1:-1]
        yield "]"
    else:
        yield json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_chunks(value) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for piece in _json_pieces(value):
        buffer.append(piece)
        size += len(piece)
        if size >= JSON_CHUNK:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()


class DrawListView(PublicListView):
    """Every draw, superseded ones included, newest first."""

    template_name = "inspections/draw_list.html"
    context_object_name = "draws"

    def get_queryset(self):
        return selectors.draw_public_list()


STRATUM_LABELS = {
    "key": _("重点对象"),
    "normal": _("一般对象"),
    "reduced": _("降低频次对象"),
}


class DrawDetailView(TemplateView):
    """A draw's announcement, its result and how anyone can verify it (RFC 3797)."""

    template_name = "inspections/draw_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        public = public_or_404(selectors.draw_public_get(draw_id=kwargs["pk"]))
        draw, result, names = public.draw, public.result, public.jurisdiction_names
        announcement = public.announcement
        pools = _pool_rows(public.pools, names)
        timing = draw_timing_problems(sources=announcement["sources"], draw=draw)
        context.update(
            draw=draw,
            announcement=announcement,
            task_jurisdictions=[
                {"code": c, "name": names.get(c, c)} for c in announcement["task"]["jurisdictions"]
            ],
            pools=pools,
            result=result,
            strata=_strata_rows(announcement["strata"], result),
            sources=_source_rows(announcement["sources"], draw.source_values),
            timing=timing,
            known_before=any(t["code"] == "before_announcement" for t in timing),
            verifier_sha256=verifier_sha256(),
            inline_max=selectors.POOL_INLINE_MAX,
        )
        if result:
            context.update(self._result_rows(draw, result, names, pools))
        return context

    def _result_rows(self, draw, result: dict, names: dict[str, str], pools: dict) -> dict:
        """The selected targets and teams as the result document publishes them, page by page;
        the rows (DrawSelection, TeamMember) only lend the current names and links. A row the
        result does not have is not shown, a missing one shows the published codes: the page
        never depends on the rows agreeing (issue 12 §3)."""
        selections = [s for s in result.get("selections") or [] if isinstance(s, dict)]
        teams = result.get("teams") or []
        page = Paginator(selections, SELECTIONS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        first = page.start_index()
        rows_by_order = {
            row.order: row
            for row in selectors.draw_public_selections(draw=draw).filter(
                order__gte=first, order__lt=first + len(page.object_list)
            )
        }
        target_names = {t["credit_code"]: t["name"] for t in pools["targets"].get("rows", [])}
        inspector_names = {x["certificate"]: x["name"] for x in pools["inspectors"].get("rows", [])}
        rows = []
        for order, step in enumerate(page.object_list, start=first):
            row = rows_by_order.get(order)
            team = teams[order - 1] if order - 1 < len(teams) else {}
            team = team if isinstance(team, dict) else {}
            code = step.get("credit_code", "")
            members = {m.position: m for m in row.team.all()} if row else {}
            rows.append(
                {
                    "order": order,
                    "credit_code": code,
                    "link_code": row.institution.credit_code if row else code,
                    "name": row.institution.name if row else target_names.get(code, ""),
                    "stratum_label": STRATUM_LABELS.get(step.get("stratum"), step.get("stratum")),
                    "step": step,
                    "excluded": team.get("excluded_for_conflict") or [],
                    "team": [
                        {
                            "certificate": m.get("certificate", ""),
                            "borrowed": m.get("borrowed", False),
                            "name": members[p].inspector.name
                            if p in members
                            else inspector_names.get(m.get("certificate"), ""),
                        }
                        for p, m in enumerate(team.get("members") or [], start=1)
                        if isinstance(m, dict)
                    ],
                }
            )
        stage = (result.get("stages") or {}).get("jurisdictions")
        if stage:
            drawn = {s["jurisdiction"] for s in stage["selections"]}
            stage = {
                "selections": [
                    {**s, "name": names.get(s["jurisdiction"], "")} for s in stage["selections"]
                ],
                "pool": [
                    {"code": c, "name": names.get(c, ""), "drawn": c in drawn}
                    for c in stage["pool"]
                ],
            }
        return {
            "selection_rows": rows,
            "page_obj": page,
            "page_range": page_range(page),
            "stage": stage,
            "borrowed_count": sum(
                bool(m.get("borrowed"))
                for t in teams
                if isinstance(t, dict)
                for m in t.get("members") or []
                if isinstance(m, dict)
            ),
        }


def _pool_rows(pools: dict, names: dict[str, str]) -> dict:
    """Inline entries (small pools only), numbered from 1 as the verifier counts them."""
    targets, inspectors = pools["targets"], pools["inspectors"]
    if "entries" in targets:
        targets["rows"] = [
            {**t, "number": n, "stratum_label": STRATUM_LABELS.get(t["tier"], t["tier"])}
            for n, t in enumerate(targets.pop("entries"), start=1)
        ]
    if "entries" in inspectors:
        inspectors["rows"] = [
            {**x, "number": n, "jurisdiction_name": names.get(x["jurisdiction"], x["jurisdiction"])}
            for n, x in enumerate(inspectors.pop("entries"), start=1)
        ]
    return pools


def _strata_rows(strata: list[dict], result: dict | None) -> list[dict]:
    drawn = {s["code"]: s["count"] for s in (result or {}).get("strata", [])}
    return [
        {**s, "label": STRATUM_LABELS.get(s["code"], s["code"]), "count": drawn.get(s["code"])}
        for s in strata
    ]


def _source_rows(sources: list[dict], values: list | None) -> list[dict]:
    return [{**source, "values": values[i] if values else None} for i, source in enumerate(sources)]


class DrawJsonView(View):
    """/draws/<id>.json: the document citizens verify (draw_document), streamed."""

    def get(self, request, pk: int):
        draw = public_or_404(selectors.draw_full_get(draw_id=pk))
        response = StreamingHttpResponse(
            _json_chunks(draw_document(draw)), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f"inline; filename=draw-{draw.pk}.json"
        response["Access-Control-Allow-Origin"] = "*"  # open data: readable from any site
        return response


class DrawListJsonView(View):
    """/draws.json: every draw with the absolute URL of its JSON document."""

    def get(self, request):
        draws = selectors.draw_public_index()
        for row in draws:
            row["url"] = request.build_absolute_uri(
                reverse("inspections:draw_json", args=[row["id"]])
            )
            row["page"] = request.build_absolute_uri(
                reverse("inspections:draw_detail", args=[row["id"]])
            )
        response = JsonResponse(
            {"format": "shuangsuiji-draw-index/1", "draws": draws},
            json_dumps_params={"ensure_ascii": False},
            content_type="application/json; charset=utf-8",
        )
        response["Access-Control-Allow-Origin"] = "*"
        return response


class VerifierDownloadView(View):
    """/tools/verify_draw.py: the very file the server computes draws with."""

    def get(self, request):
        response = FileResponse(
            VERIFIER_PATH.open("rb"),
            as_attachment=True,
            filename="verify_draw.py",
            content_type="text/x-python; charset=utf-8",
        )
        return response
