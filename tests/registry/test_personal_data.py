"""Personal data (SPEC §7): ID numbers and phones are visible in full only to the office staff who
keep the registry; read-only roles see them masked everywhere — lists, pages, exports, history."""

import pytest
from django.urls import reverse

from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lawyer():
    return PractitionerFactory(id_number="11010519491231002X", phone="13912345678")


@pytest.mark.parametrize("role", ["leader_user", "legal_user", "auditor_user"])
def test_read_only_roles_see_masked_personal_data_on_the_page(client, request, role, lawyer):
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("admin:registry_practitioner_change", args=[lawyer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "11010519491231002X" not in html and "13912345678" not in html
    assert "110105********002X" in html and "139****5678" in html


def test_staff_keep_the_full_values_to_correct_them(staff_client, lawyer):
    page = staff_client.get(reverse("admin:registry_practitioner_change", args=[lawyer.pk]))
    assert 'value="11010519491231002X"' in page.content.decode()


@pytest.mark.parametrize(("role", "full"), [("auditor_user", False), ("staff_user", True)])
def test_export_masks_unless_allowed(client, request, role, full, lawyer):
    client.force_login(request.getfixturevalue(role))
    response = client.post(
        reverse("admin:registry_practitioner_export"),
        {
            "format": "0",
            "resource": "0",
            **{
                f"practitionerresource_{f}": "on"
                for f in (
                    "certificate_number",
                    "name",
                    "institution",
                    "id_number",
                    "status",
                    "phone",
                )
            },
        },
    )
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert ("11010519491231002X" in body) is full
    assert ("110105********002X" in body) is not full


def test_history_keeps_who_but_not_the_personal_values(staff_client, auditor_user, client, lawyer):
    lawyer.id_number = "110105194912310021"[:17] + "X"
    lawyer.save()
    record = lawyer.history.first()
    assert not hasattr(record, "id_number")
    client.force_login(auditor_user)
    page = client.get(reverse("admin:registry_practitioner_history", args=[lawyer.pk]))
    assert page.status_code == 200
    assert "11010519491231002X" not in page.content.decode()
