"""Reads of the registry for the public pages (一单两库 published, N6, Y3.2, Y3.3).

Everything here is anonymous-safe: querysets load only the columns a public page may show, so
personal data (a practitioner's ID number and phone, an inspector's login account) and internal
staff information (risk tier, complaints, satisfaction scores) never leave the database for a
public request.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from registry.models import (
    CheckItem,
    Inspector,
    Institution,
    Jurisdiction,
    Practitioner,
    Sector,
    SupervisionRecord,
)
from registry.validators import CREDIT_CODE_SHAPE

SEARCH_MAX_LENGTH = 100

INSTITUTION_PUBLIC_FIELDS = (
    "name",
    "credit_code",
    "licence_number",
    "address",
    "person_in_charge",
    "status",
    "founded_on",
    "size",
    "sector__code",
    "sector__order",
    "jurisdiction__code",
    "jurisdiction__name",
)
PRACTITIONER_PUBLIC_FIELDS = ("institution_id", "name", "certificate_number", "status")
SUPERVISION_PUBLIC_FIELDS = (
    "institution_id",
    "kind",
    "date",
    "ended_on",
    "reference",
    "description",
)
INSPECTOR_PUBLIC_FIELDS = (
    "name",
    "certificate_number",
    "certificate_valid_to",
    "staff_type",
    "status",
    "jurisdiction__code",
    "jurisdiction__name",
)


@dataclass(frozen=True)
class PublicFilters:
    """Cleaned query-string parameters of a public list; unknown values are dropped."""

    q: str = ""
    sector: str = ""
    jurisdiction: str = ""
    status: str = ""


def sectors_all() -> list[Sector]:
    return list(Sector.objects.all())


def jurisdictions_all() -> list[Jurisdiction]:
    return list(Jurisdiction.objects.only("code", "name"))


def checkitem_list_by_sector(*, day: dt.date, sectors: list[Sector]) -> list[Sector]:
    """`sectors`, each with `active_items`: its check items in force on `day` (N5, Y3.1).

    Two queries whatever the number of items: the sectors are given, the items prefetched."""
    prefetch_related_objects(
        sectors,
        Prefetch(
            "check_items",
            queryset=CheckItem.objects.active_on(day).order_by("order", "code"),
            to_attr="active_items",
        ),
    )
    return sectors


def institution_public_list(*, filters: PublicFilters) -> QuerySet[Institution]:
    """The target registry (检查对象名录库, Y3.2) as the public may search it."""
    qs = Institution.objects.select_related("sector", "jurisdiction").only(
        *INSTITUTION_PUBLIC_FIELDS
    )
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(credit_code__startswith=filters.q.upper()))
    if filters.sector:
        qs = qs.filter(sector__code=filters.sector)
    if filters.jurisdiction:
        qs = qs.filter(jurisdiction__code=filters.jurisdiction)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("sector__order", "name", "credit_code")


def institution_public_get(*, credit_code: str) -> Institution | None:
    """One institution's public face (Y3.2): basic information, its practitioners and its public
    supervision and reward/penalty records. Three queries; None for an unknown code, and no
    query for what cannot be one (PostgreSQL refuses a NUL)."""
    if not CREDIT_CODE_SHAPE.match(credit_code):
        return None
    records = (
        SupervisionRecord.objects.filter(kind__in=SupervisionRecord.PUBLIC_KINDS, valid=True)
        .only(*SUPERVISION_PUBLIC_FIELDS)
        .order_by("-date", "-pk")
    )
    return (
        Institution.objects.select_related("sector", "jurisdiction")
        .only(*INSTITUTION_PUBLIC_FIELDS)
        .prefetch_related(
            Prefetch(
                "practitioners",
                queryset=Practitioner.objects.only(*PRACTITIONER_PUBLIC_FIELDS),
                to_attr="public_practitioners",
            ),
            Prefetch("supervision_records", queryset=records, to_attr="public_records"),
        )
        .filter(credit_code=credit_code)
        .first()
    )


def inspector_public_list(*, filters: PublicFilters) -> QuerySet[Inspector]:
    """The inspector registry (执法检查人员名录库, Y3.3) as published: everyone still in post or
    suspended, with staff type and status so that nobody mistakes association staff or a
    suspended officer for an enforcement officer. Those who left are no longer listed."""
    qs = (
        Inspector.objects.exclude(status=Inspector.Status.LEFT)
        .select_related("jurisdiction")
        .only(*INSPECTOR_PUBLIC_FIELDS)
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.only("code", "order")))
    )
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(certificate_number__startswith=filters.q))
    if filters.sector:
        qs = qs.filter(sectors__code=filters.sector)
    if filters.jurisdiction:
        qs = qs.filter(jurisdiction__code=filters.jurisdiction)
    return qs.order_by("jurisdiction__code", "name", "certificate_number")


def registry_counts(*, day: dt.date) -> dict[str, int]:
    """Headline numbers of the home page: one list and two registries (一单两库)."""
    return {
        "check_items": CheckItem.objects.active_on(day).count(),
        "institutions": Institution.objects.count(),
        "inspectors": Inspector.objects.exclude(status=Inspector.Status.LEFT).count(),
    }
