"""Reads of the published results: the public list with its filters (the pages and the open
data share them), and each notice as open data (docs/open-data.md: stable field names)."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse

from inspections.models import TargetResult
from publication.models import ResultNotice
from registry.models import Sector
from registry.validators import CREDIT_CODE_SHAPE, DIVISION_RE

SEARCH_MAX_LENGTH = 100
YEARS = range(2000, 2101)
# The columns the list shows (the items and inspectors stay in the database).
LIST_FIELDS = (
    "target_name",
    "credit_code",
    "sector_id",
    "inspected_from",
    "inspected_to",
    "category",
    "published_at",
    "late",
)
CATEGORIES = TargetResult.Category.values


@dataclass(frozen=True)
class ResultFilters:
    """Cleaned query-string parameters; unknown values are dropped, not errors."""

    q: str = ""
    year: int | None = None
    sector: str = ""
    jurisdiction: str = ""
    result: str = ""

    @classmethod
    def from_query(cls, params) -> "ResultFilters":
        year = params.get("year", "")
        sector = params.get("sector", "")
        jurisdiction = params.get("jurisdiction", "")
        result = params.get("result", "")
        return cls(
            q=params.get("q", "").strip()[:SEARCH_MAX_LENGTH],
            # The length first: int() refuses strings of more than 4300 digits.
            year=int(year) if len(year) == 4 and year.isdecimal() and int(year) in YEARS else None,
            sector=sector if sector in Sector.Code.values else "",
            jurisdiction=jurisdiction if DIVISION_RE.match(jurisdiction) else "",
            result=result if result in CATEGORIES else "",
        )

    def as_query(self) -> dict:
        return {
            k: v
            for k, v in {
                "q": self.q,
                "year": self.year or "",
                "sector": self.sector,
                "jurisdiction": self.jurisdiction,
                "result": self.result,
            }.items()
            if v
        }


def results_public(*, filters: ResultFilters) -> QuerySet[ResultNotice]:
    """Published notices only (never withdrawn or superseded), newest first."""
    notices = ResultNotice.objects.public().select_related("sector", "jurisdiction")
    if filters.q:
        # A credit code is looked up as such (its index); anything else is part of a name
        # (a trigram index on PostgreSQL, publication migration 0002).
        code = filters.q.upper()
        if CREDIT_CODE_SHAPE.match(code):
            notices = notices.filter(Q(credit_code=code) | Q(target_name__icontains=filters.q))
        else:
            notices = notices.filter(target_name__icontains=filters.q)
    if filters.year:
        notices = notices.filter(year=filters.year)
    if filters.sector:
        notices = notices.filter(sector__code=filters.sector)
    if filters.jurisdiction:
        notices = notices.filter(jurisdiction__code=filters.jurisdiction)
    if filters.result:
        notices = notices.filter(category=filters.result)
    return notices.order_by("-published_at", "-pk")


def result_public_get(*, notice_id: int) -> ResultNotice | None:
    """A notice the public may open: the current version, or an earlier one a correction
    superseded (corrections are kept in view); never a withdrawn one."""
    return (
        ResultNotice.objects.exclude(status=ResultNotice.Status.WITHDRAWN)
        .select_related("sector", "jurisdiction")
        .filter(pk=notice_id)
        .first()
    )


def notice_versions(*, notice: ResultNotice) -> list[ResultNotice]:
    return list(
        ResultNotice.objects.filter(result_id=notice.result_id)
        .exclude(status=ResultNotice.Status.WITHDRAWN)
        .order_by("version")
        .only("pk", "version", "status", "published_at", "correction_reason", "result_id")
    )


def results_latest(*, count: int) -> list[ResultNotice]:
    return list(
        ResultNotice.objects.public()
        .select_related("sector")
        .order_by("-published_at", "-pk")[:count]
    )


def results_of_institution(*, credit_code: str) -> list[ResultNotice]:
    return list(
        ResultNotice.objects.public().filter(credit_code=credit_code).order_by("-inspected_to")
    )


def notice_public_dict(notice: ResultNotice) -> dict:
    """The open-data form of a notice (docs/open-data.md). Field names are stable."""
    return {
        "id": notice.pk,
        "url": reverse("publication:result_detail", args=[notice.pk]),
        "version": notice.version,
        "target_name": notice.target_name,
        "credit_code": notice.credit_code,
        "sector": notice.sector.code,
        "jurisdiction": notice.jurisdiction.code,
        "year": notice.year,
        "task": notice.task_name,
        "items": [
            {"code": i["code"], "name": i["name"], "content": i["content"]} for i in notice.items
        ],
        "legal_basis": sorted({i["legal_basis"] for i in notice.items}),
        "result": notice.category,
        "case_number": notice.case_number,
        "receiving_authority": notice.receiving_authority,
        "findings": notice.findings,
        "inspected_from": notice.inspected_from.isoformat(),
        "inspected_to": notice.inspected_to.isoformat(),
        "authority": notice.authority,
        "inspectors": [
            {"name": p["name"], "certificate": p["certificate"]} for p in notice.inspectors
        ],
        "withheld": sorted(notice.withheld),
        "published_at": notice.published_at.isoformat(),
        "late": notice.late,
        "correction_reason": notice.correction_reason,
    }
