"""Reads for the public pages of annual plans and draws (Y3.4, N7, N10–N12, RFC 3797).

Everything here is anonymous-safe. A draw's frozen pools can hold 40,000 entries, so the HTML page
never loads them: the database strips the target and conflict entries from the announcement before
sending it. User accounts (who announced, executed, approved) are never selected.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    Func,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils.translation import gettext as _

from inspections.models import (
    AnnualPlan,
    Draw,
    DrawSelection,
    PlanRevision,
    PlanSection,
    TeamMember,
)
from registry.models import CheckItem, Jurisdiction, Method, RiskTier
from tools import verify_draw as algorithm

# Pools up to this size are listed on the draw page; larger ones are only counted and hashed
# (the JSON document always has them whole).
POOL_INLINE_MAX = 200

DRAW_LIST_FIELDS = (
    "number",
    "status",
    "verifiable",
    "announced_at",
    "executed_at",
    "superseded_at",
    "redraw_of_id",
    "task__name",
    "task__starts_on",
    "task__sector__code",
)
DRAW_DETAIL_FIELDS = (
    *DRAW_LIST_FIELDS,
    "source_values",
    "result",
    "immediate_reason",
    "witnesses",
    "redraw_reason",
    "task__ends_on",
    "task__plan_round__section__plan__title",
    "task__plan_round__section__plan__status",
)


class JSONWithout(Func):
    """A JSON column without the values at fixed paths, computed by the database in one pass over
    the document (SQLite JSON_REMOVE; PostgreSQL jsonb #-)."""

    output_field = JSONField()

    def __init__(self, column: str, *paths: tuple[str, ...]) -> None:
        self.paths = paths
        super().__init__(F(column))

    def _sqlite_paths(self) -> list[str]:
        return ["$." + ".".join(f'"{key}"' for key in path) for path in self.paths]

    def _postgres_paths(self) -> list[str]:
        return ["{" + ",".join(path) + "}" for path in self.paths]

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        marks = ", ".join(["%s"] * len(self.paths))
        return f"JSON_REMOVE({sql}, {marks})", (*params, *self._sqlite_paths())

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        removals = " ".join(["#- %s::text[]"] * len(self.paths))
        return f"({sql} {removals})", (*params, *self._postgres_paths())


# -- plans ---------------------------------------------------------------------------------------
@dataclass
class PlanContent:
    """One sector of a plan as the public reads it, from live rows or a published snapshot."""

    sector: str
    target_scope: str
    ratios: dict[str, Decimal]
    team_size: int
    methods: str
    check_items: list[dict]
    rounds: list[dict]


@dataclass
class PublicPlan:
    plan: AnnualPlan
    sections: list[PlanContent]
    revisions: list[PlanRevision]
    # The latest published revision whose snapshot the sections come from (None: the live rows).
    content_revision: PlanRevision | None = None


def plan_public_list() -> QuerySet[AnnualPlan]:
    """Published plans (Y3.4), newest year first; drafts are never public."""
    return (
        AnnualPlan.objects.filter(status=AnnualPlan.Status.PUBLISHED)
        .select_related("jurisdiction")
        .only("title", "year", "published_at", "status", "jurisdiction__code", "jurisdiction__name")
        .annotate(
            revision_count=Count("revisions", filter=Q(revisions__published_at__isnull=False))
        )
        .order_by("-year", "jurisdiction__code")
    )


def plans_current(*, year: int) -> list[AnnualPlan]:
    """The published plans of the year (the home page)."""
    return list(plan_public_list().filter(year=year))


def _methods_display(methods: list[str]) -> str:
    labels = dict(Method.choices)
    return "、".join(str(labels.get(m, m)) for m in methods or [])


def _ratios(values: dict) -> dict[str, Decimal]:
    return {tier: Decimal(str(values[tier])) for tier in RiskTier.values if tier in values}


def _sections_from_rows(plan: AnnualPlan) -> list[PlanContent]:
    sections = (
        PlanSection.objects.filter(plan=plan)
        .select_related("sector")
        .prefetch_related(
            Prefetch(
                "check_items",
                queryset=CheckItem.objects.only("code", "name", "legal_basis", "order").order_by(
                    "order", "code"
                ),
            ),
            "rounds",
        )
        .order_by("sector__order")
    )
    return [
        PlanContent(
            sector=str(section.sector),
            target_scope=section.target_scope,
            ratios=section.ratios,
            team_size=section.team_size,
            methods=section.get_methods_display(),
            check_items=[
                {"code": i.code, "name": i.name, "legal_basis": i.legal_basis}
                for i in section.check_items.all()
            ],
            rounds=[
                {"number": r.number, "starts_on": r.starts_on, "ends_on": r.ends_on}
                for r in section.rounds.all()
            ],
        )
        for section in sections
    ]


def _sections_from_snapshot(snapshot: dict) -> list[PlanContent]:
    return [
        PlanContent(
            sector=section["sector"],
            target_scope=section["target_scope"],
            ratios=_ratios(section["ratios"]),
            team_size=section["team_size"],
            methods=_methods_display(section["methods"]),
            check_items=section["check_items"],
            rounds=[
                {
                    "number": r["number"],
                    "starts_on": dt.date.fromisoformat(r["starts_on"]),
                    "ends_on": dt.date.fromisoformat(r["ends_on"]),
                }
                for r in section["rounds"]
            ],
        )
        for section in snapshot.get("sections", [])
    ]


def plan_public_get(*, plan_id: int) -> PublicPlan | None:
    """A published plan with its published revisions (Y3.4). Its content is the snapshot of the
    latest published revision, so changes still being prepared under an open revision are not
    shown before they are published; a plan never revised is shown as it stands."""
    plan = plan_public_list().filter(pk=plan_id).first()
    if plan is None:
        return None
    revisions = list(
        PlanRevision.objects.filter(plan=plan, published_at__isnull=False)
        .only(
            "plan_id",
            "number",
            "reason",
            "summary",
            "changed_on",
            "affected_starts_on",
            "publish_by",
            "published_at",
            "snapshot",
        )
        .order_by("number")
    )
    latest = next((r for r in reversed(revisions) if r.snapshot), None)
    if latest is not None:
        sections = _sections_from_snapshot(latest.snapshot)
    elif published := AnnualPlan.objects.values_list("snapshot", flat=True).get(pk=plan.pk):
        # As published: edits under an open revision stay private until it is published.
        sections = _sections_from_snapshot(published)
    else:
        sections = _sections_from_rows(plan)
    return PublicPlan(plan=plan, sections=sections, revisions=revisions, content_revision=latest)


# -- draws ---------------------------------------------------------------------------------------
def _redrawn_as():
    return Subquery(Draw.objects.filter(redraw_of=OuterRef("pk")).values("pk")[:1])


def draw_public_list() -> QuerySet[Draw]:
    """Every draw, superseded ones included (they stay published), newest first. The JSON columns
    (announcement, result) are not loaded."""
    return (
        Draw.objects.select_related("task__sector")
        .only(*DRAW_LIST_FIELDS)
        .annotate(redrawn_as_id=_redrawn_as())
        .order_by("-announced_at", "-pk")
    )


@dataclass
class PublicDraw:
    """A draw's page: the announcement without the pool entries (unless small), the result."""

    draw: Draw
    announcement: dict
    pools: dict[str, dict]  # targets / inspectors / conflicts: {"count", "sha256", "entries"?}
    jurisdiction_names: dict[str, str]

    @property
    def result(self) -> dict | None:
        return self.draw.result if self.draw.is_executed else None


LARGE_POOLS = (("pools", "targets", "entries"), ("pools", "conflicts", "entries"))


def draw_public_get(*, draw_id: int) -> PublicDraw | None:
    """One draw for its public page in two queries (three when its pool is small enough to be
    listed): the announcement comes without the target and conflict entries, which can run to
    megabytes, so the database parses the document once and sends back a few kilobytes."""
    draw = (
        Draw.objects.select_related("task__sector", "task__plan_round__section__plan")
        .only(*DRAW_DETAIL_FIELDS)
        .annotate(
            redrawn_as_id=_redrawn_as(),
            summary=JSONWithout("announcement", *LARGE_POOLS),
        )
        .filter(pk=draw_id)
        .first()
    )
    if draw is None:
        return None
    announcement = draw.summary
    pools = announcement.pop("pools")
    # Every target is in exactly one stratum, so the strata sizes add up to the pool's size.
    pools["targets"]["count"] = sum(s["size"] for s in announcement["strata"])
    pools["inspectors"]["count"] = len(pools["inspectors"]["entries"])
    if pools["targets"]["count"] <= POOL_INLINE_MAX:
        pools["targets"]["entries"] = (
            Draw.objects.filter(pk=draw.pk)
            .values_list(F("announcement__pools__targets__entries"), flat=True)
            .get()
        )
    else:
        del pools["inspectors"]["entries"]  # listed only with the targets, when both are short
    codes = set(announcement["task"].get("jurisdictions", []))
    codes |= {x["jurisdiction"] for x in pools["inspectors"].get("entries", [])}
    if draw.is_executed:
        codes |= set((draw.result.get("stages") or {}).get("jurisdictions", {}).get("pool", []))
    names = dict(Jurisdiction.objects.filter(code__in=codes).values_list("code", "name"))
    return PublicDraw(draw=draw, announcement=announcement, pools=pools, jurisdiction_names=names)


def draw_public_selections(*, draw: Draw) -> QuerySet[DrawSelection]:
    """The selected targets in order, each with its team (public columns only): two queries per
    page whatever the number of rows."""
    team = TeamMember.objects.select_related("inspector").only(
        "selection_id", "position", "borrowed", "inspector__name", "inspector__certificate_number"
    )
    return (
        DrawSelection.objects.filter(draw=draw)
        .select_related("institution")
        .only("order", "stratum", "digest", "institution__name", "institution__credit_code")
        .prefetch_related(Prefetch("team", queryset=team.order_by("position")))
        .order_by("order")
    )


def draw_full_get(*, draw_id: int) -> Draw | None:
    """The whole draw (with its pools) for its JSON document and the verifier."""
    return Draw.objects.filter(pk=draw_id).first()


def draw_public_index() -> list[dict]:
    """Rows of /draws.json: every draw, newest first, without its JSON columns."""
    return [
        {
            "id": draw.pk,
            "number": draw.number,
            "task": draw.task.name,
            "sector": str(draw.task.sector),
            "status": draw.status,
            "verifiable": draw.verifiable,
            "announced_at": draw.announced_at.isoformat(),
            "executed_at": draw.executed_at.isoformat() if draw.executed_at else None,
            "superseded": draw.superseded_at is not None,
            "superseded_at": draw.superseded_at.isoformat() if draw.superseded_at else None,
            "redraw_of": draw.redraw_of_id,
            "redrawn_as": draw.redrawn_as_id,
        }
        for draw in draw_public_list()
    ]


def draw_rows_mismatch(*, draw: Draw) -> algorithm.Problem | None:
    """The first difference between the stored result and the selection and team rows the public
    page is built from (None when they agree), in Chinese and English like the verifier's."""
    result = draw.result or {}
    expected = [
        (i, s["credit_code"], s["stratum"], s["digest"])
        for i, s in enumerate(result.get("selections", []), start=1)
    ]
    rows = list(
        DrawSelection.objects.filter(draw=draw)
        .order_by("order")
        .values_list("order", "institution__credit_code", "stratum", "digest")
    )
    if rows != expected:
        for want, have in zip(expected, rows, strict=False):
            if want != have:
                return _rows_problem(
                    _("第 %(n)s 个抽中对象：结果为 %(want)s，记录为 %(have)s")
                    % {"n": want[0], "want": want[1:], "have": have[1:]},
                    f"selection {want[0]}: result says {want[1:]}, rows say {have[1:]}",
                )
        return _rows_problem(
            _("结果中有 %(want)s 个抽中对象，记录中有 %(have)s 个")
            % {"want": len(expected), "have": len(rows)},
            f"result has {len(expected)} selections, rows have {len(rows)}",
        )
    expected_team = [
        (order, position, m["certificate"], m["borrowed"])
        for order, team in enumerate(result.get("teams", []), start=1)
        for position, m in enumerate(team["members"], start=1)
    ]
    team_rows = list(
        TeamMember.objects.filter(selection__draw=draw)
        .order_by("selection__order", "position")
        .values_list("selection__order", "position", "inspector__certificate_number", "borrowed")
    )
    if team_rows != expected_team:
        for want, have in zip(expected_team, team_rows, strict=False):
            if want != have:
                return _rows_problem(
                    _("第 %(n)s 个抽中对象的检查组第 %(p)s 人：结果为 %(want)s，记录为 %(have)s")
                    % {"n": want[0], "p": want[1], "want": want[2:], "have": have[2:]},
                    f"team of selection {want[0]}, member {want[1]}: result says {want[2:]}, "
                    f"rows say {have[2:]}",
                )
        return _rows_problem(
            _("结果中有 %(want)s 名检查组成员，记录中有 %(have)s 名")
            % {"want": len(expected_team), "have": len(team_rows)},
            f"result has {len(expected_team)} team members, rows have {len(team_rows)}",
        )
    return None


def _rows_problem(zh: str, en: str) -> algorithm.Problem:
    return algorithm.Problem("rows", zh, en, {})
