"""Rules the registry models carry: inspector eligibility (Y3.3), symmetric neighbours (N11),
check items in force, conflicts that bind an institution (N11)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from registry.models import CheckItem, Inspector, Jurisdiction
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    JurisdictionFactory,
    PractitionerFactory,
    sector,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 1)


def eligible(day=DAY, code="lawyer"):
    return set(Inspector.objects.eligible_on(day, sector(code)).values_list("name", flat=True))


def test_eligible_on_only_active_bureau_staff_with_valid_certificate_for_the_sector():
    # Y3.3: only bureau staff holding a valid enforcement certificate may be drawn.
    InspectorFactory(name="ok")
    InspectorFactory(name="association", staff_type=Inspector.StaffType.ASSOCIATION)
    InspectorFactory(name="expired", certificate_valid_to=dt.date(2026, 5, 31))
    InspectorFactory(name="not-yet", certificate_valid_from=dt.date(2026, 6, 2))
    InspectorFactory(name="suspended", status=Inspector.Status.SUSPENDED)
    InspectorFactory(name="notary-only", sectors=[sector("notary")])

    assert eligible() == {"ok"}
    assert eligible(code="notary") == {"notary-only"}
    # The certificate's last day still counts.
    assert "expired" in eligible(day=dt.date(2026, 5, 31))


def test_eligibility_reasons_name_every_obstacle():
    inspector = InspectorFactory(
        staff_type=Inspector.StaffType.ASSOCIATION, certificate_valid_to=dt.date(2026, 1, 1)
    )
    reasons = inspector.ineligibility_reasons(DAY, sector("notary"))
    assert any("行业协会" in r for r in reasons)
    assert any("2026-01-01" in r and "过期" in r for r in reasons)
    assert any("公证" in r for r in reasons)
    assert not InspectorFactory().ineligibility_reasons(DAY, sector("lawyer"))


def test_neighbours_are_symmetric():
    yuzhong = JurisdictionFactory()
    jiangbei = Jurisdiction.objects.create(code="500105", name="江北区", level="county")
    yuzhong.neighbours.add(jiangbei)
    assert list(jiangbei.neighbours.all()) == [yuzhong]


def test_check_items_in_force_on_a_day():
    CheckItemFactory(code="A", effective_from=dt.date(2020, 1, 1))
    CheckItemFactory(
        code="B", effective_from=dt.date(2020, 1, 1), effective_to=dt.date(2026, 5, 31)
    )
    CheckItemFactory(code="C", effective_from=dt.date(2026, 7, 1))
    assert list(CheckItem.objects.active_on(DAY).values_list("code", flat=True)) == ["A"]


def test_check_item_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckItemFactory(effective_from=dt.date(2026, 1, 1), effective_to=dt.date(2025, 1, 1))


def test_a_conflict_is_registered_once_per_inspector_target_and_kind():
    conflict = ConflictFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConflictFactory(inspector=conflict.inspector, institution=conflict.institution)
    lawyer = PractitionerFactory(institution=conflict.institution)
    # With a practitioner it is a different conflict, and it binds the practitioner's firm.
    other = ConflictFactory(
        inspector=conflict.inspector, institution=conflict.institution, practitioner=lawyer
    )
    assert other.institution == lawyer.institution
    with pytest.raises(IntegrityError), transaction.atomic():
        ConflictFactory(
            inspector=conflict.inspector, institution=conflict.institution, practitioner=lawyer
        )


def test_conflict_active_window():
    conflict = ConflictFactory(valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    assert conflict.active_on(DAY)
    assert not conflict.active_on(dt.date(2027, 1, 1))
