"""Least privilege, tested as a role × page grid (issue 2 §5; core.roles).

Every admin page of the registries and the calendar is requested by every role, and anonymously;
the expected answer is written out in ROLE_GRID below. The public pages (N6) answer everybody.
Records keep who changed what (N6, Y4(2)), read-only to the auditor; personal data stays masked in
lists (SPEC §7).
"""

import datetime as dt
import re

import pytest
from django.urls import reverse

from core.models import CalendarDay
from registry.models import Institution
from registry.validators import mask_id_number, mask_phone
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    PractitionerFactory,
    SupervisionRecordFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "inspector",
    "staff",
    "leader",
    "legal",
    "auditor",
    "admin",
    "sysadmin",
    "secadmin",
    "auditadmin",
]
ADMIN_ROLES = ["staff", "leader", "legal", "auditor", "admin"]
VIEW_ONLY_ROLES = ["leader", "legal", "auditor"]

LOGIN = "login"  # redirected to the admin login page
OK, FORBIDDEN = 200, 403

# What each role gets on each kind of admin page (core.roles.role_permissions):
# - anonymous, and inspectors (not is_staff: they work on /inspect/), never get into the admin;
# - the supervision office keeps the registries: view, add, change, import, history — no delete,
#   records are never deleted, only their status changes (N6);
# - the leader in charge and the legal-affairs office read the registries and the calendar, but not
#   their history, and change nothing;
# - the auditor reads everything including the history (who changed what, Y4(2)) and changes nothing;
# - a superuser ("admin", nobody's daily work) may do everything, delete included;
# - the three separated administrators (system, security, audit: 三员分立, issue 14 §2) open the
#   admin's index and none of the business screens.
NO = FORBIDDEN
# fmt: off
ROLE_GRID = {
    #              anonymous inspector staff leader legal  auditor admin sysadm secadm auditadm
    "index":      (LOGIN,    LOGIN,    OK,   OK,    OK,    OK,     OK,   OK,    OK,    OK),
    "changelist": (LOGIN,    LOGIN,    OK,   OK,    OK,    OK,     OK,   NO,    NO,    NO),
    "add":        (LOGIN,    LOGIN,    OK,   NO,    NO,    NO,     OK,   NO,    NO,    NO),
    "change":     (LOGIN,    LOGIN,    OK,   OK,    OK,    OK,     OK,   NO,    NO,    NO),
    "history":    (LOGIN,    LOGIN,    OK,   NO,    NO,    OK,     OK,   NO,    NO,    NO),
    "delete":     (LOGIN,    LOGIN,    NO,   NO,    NO,    NO,     OK,   NO,    NO,    NO),
    "import":     (LOGIN,    LOGIN,    OK,   NO,    NO,    NO,     OK,   NO,    NO,    NO),
    "export":     (LOGIN,    LOGIN,    OK,   OK,    OK,    OK,     OK,   NO,    NO,    NO),
}
# fmt: on

# model → (app label, name of its import view or None, has an export view)
MODELS = {
    "institution": ("registry", "spreadsheet_import", True),
    "practitioner": ("registry", "spreadsheet_import", True),
    "inspector": ("registry", "spreadsheet_import", True),
    "conflict": ("registry", "spreadsheet_import", True),
    "checkitem": ("registry", "spreadsheet_import", True),
    "jurisdiction": ("registry", None, False),
    "supervisionrecord": ("registry", None, False),
    "calendarday": ("core", "import_csv", False),
}
OBJECT_PAGES = ["change", "history", "delete"]


def _pages() -> list[tuple[str, str | None]]:
    """(kind of page, model) for every admin page of the grid."""
    pages: list[tuple[str, str | None]] = [("index", None)]
    for model, (_app, import_view, export) in MODELS.items():
        pages += [(kind, model) for kind in ["changelist", "add", *OBJECT_PAGES]]
        if import_view:
            pages.append(("import", model))
        if export:
            pages.append(("export", model))
    return pages


GRID = [
    pytest.param(role, kind, model, ROLE_GRID[kind][i], id=f"{role}-{kind}-{model or 'admin'}")
    for i, role in enumerate(ROLES)
    for kind, model in _pages()
]


@pytest.fixture
def objects():
    """One row of every model in the grid, for the change, history and delete pages."""
    institution = InstitutionFactory()
    practitioner = PractitionerFactory(institution=institution)
    inspector = InspectorFactory()
    day, _created = CalendarDay.objects.get_or_create(
        date=dt.date(2026, 10, 1), defaults={"kind": CalendarDay.Kind.HOLIDAY, "name": "国庆节"}
    )
    return {
        "institution": institution,
        "practitioner": practitioner,
        "inspector": inspector,
        "conflict": ConflictFactory(inspector=inspector, institution=institution),
        "checkitem": CheckItemFactory(),
        "jurisdiction": JurisdictionFactory(),
        "supervisionrecord": SupervisionRecordFactory(institution=institution),
        "calendarday": day,
    }


def admin_url(kind: str, model: str | None, objects: dict) -> str:
    if kind == "index":
        return reverse("admin:index")
    app = MODELS[model][0]
    if kind == "import":
        return reverse(f"admin:{app}_{model}_{MODELS[model][1]}")
    args = [objects[model].pk] if kind in OBJECT_PAGES else []
    return reverse(f"admin:{app}_{model}_{kind}", args=args)


@pytest.fixture
def as_role(client, request):
    """A client logged in as the given role (a fixture of tests/conftest.py), or anonymous."""

    def log_in(role: str):
        if role != "anonymous":
            client.force_login(request.getfixturevalue(f"{role}_user"))
        return client

    return log_in


# Not "page": pytest-playwright would take that name for its browser page.
@pytest.mark.parametrize(("role", "kind", "model", "expected"), GRID)
def test_admin_grid(as_role, objects, role, kind, model, expected):
    url = admin_url(kind, model, objects)
    response = as_role(role).get(url)
    if expected == LOGIN:
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login") + "?next="), response.url
    else:
        assert response.status_code == expected, url


@pytest.mark.parametrize("model", list(MODELS))
class TestChangePage:
    """The change page is a form for the office and a read-only view for everyone else."""

    @pytest.mark.parametrize("role", VIEW_ONLY_ROLES)
    def test_read_only_for_viewers(self, as_role, objects, role, model):
        client = as_role(role)
        url = admin_url("change", model, objects)
        assert 'name="_save"' not in client.get(url).content.decode()
        assert client.post(url, {}).status_code == FORBIDDEN

    @pytest.mark.parametrize("role", ["staff", "admin"])
    def test_editable_for_the_office(self, as_role, objects, role, model):
        html = as_role(role).get(admin_url("change", model, objects)).content.decode()
        assert 'name="_save"' in html


class TestHistory:
    """Every change is kept with who, when and what (N6, Y4(2)); the auditor reads it."""

    def _change_name(self, client, institution: Institution, name: str):
        data = {
            "sector": institution.sector_id,
            "name": name,
            "credit_code": institution.credit_code,
            "licence_number": institution.licence_number,
            "jurisdiction": institution.jurisdiction_id,
            "address": institution.address,
            "person_in_charge": institution.person_in_charge,
            "status": institution.status,
            "founded_on": "",
            "size": "",
            # the supervision-record inline, left empty
            "supervision_records-TOTAL_FORMS": "0",
            "supervision_records-INITIAL_FORMS": "0",
            "supervision_records-MIN_NUM_FORMS": "0",
            "supervision_records-MAX_NUM_FORMS": "1000",
        }
        url = reverse("admin:registry_institution_change", args=[institution.pk])
        return client.post(url, data)

    def test_staff_change_is_recorded_with_the_user(self, as_role, staff_user):
        institution = InstitutionFactory(name="重庆旧名律师事务所")
        response = self._change_name(as_role("staff"), institution, "重庆新名律师事务所")
        assert response.status_code == 302, response.content.decode()[:2000]
        institution.refresh_from_db()
        assert institution.name == "重庆新名律师事务所"
        latest = institution.history.first()
        assert latest.history_type == "~"
        assert latest.history_user == staff_user
        assert latest.prev_record.name == "重庆旧名律师事务所"

    def test_auditor_sees_who_changed_what(self, client, staff_user, auditor_user):
        institution = InstitutionFactory(name="重庆旧名律师事务所")
        client.force_login(staff_user)
        self._change_name(client, institution, "重庆新名律师事务所")
        client.force_login(auditor_user)
        url = reverse("admin:registry_institution_history", args=[institution.pk])
        response = client.get(url)
        assert response.status_code == OK
        records = list(response.context["page_obj"])
        # The factory's row has no request: the system account, never nobody (issue 12 §3).
        assert [r.history_user.username for r in records] == [staff_user.username, "_system"]
        table = re.search(
            r'<table id="change-history".*?</table>', response.content.decode(), re.S
        ).group()
        assert f">{staff_user.username}<" in table
        assert "重庆旧名律师事务所" in table
        assert "重庆新名律师事务所" in table

    @pytest.mark.parametrize("role", ["leader", "legal"])
    def test_history_is_not_for_every_reader(self, as_role, role):
        institution = InstitutionFactory()
        url = reverse("admin:registry_institution_history", args=[institution.pk])
        assert as_role(role).get(url).status_code == FORBIDDEN


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_practitioner_list_masks_personal_data(as_role, role):
    """SPEC §7: the ID number is shown as first 6 + stars + last 4, to every role."""
    id_number = make_id_number(123, birth="19850312")
    phone = "13912345678"
    PractitionerFactory(id_number=id_number, phone=phone)
    response = as_role(role).get(reverse("admin:registry_practitioner_changelist"))
    assert response.status_code == OK
    html = response.content.decode()
    masked = id_number[:6] + "*" * 8 + id_number[-4:]
    assert mask_id_number(id_number) == masked
    assert masked in html
    assert id_number not in html
    assert mask_phone(phone) in html
    assert phone not in html


PUBLIC_PAGES = [
    "registry:home",
    "registry:checkitem_list",
    "registry:institution_list",
    "registry:institution_detail",
    "registry:inspector_list",
]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_public_pages_answer_everyone(as_role, role, name):
    """N6: the list and both registries are published; no login is needed."""
    institution = InstitutionFactory()
    InspectorFactory()
    CheckItemFactory()
    args = [institution.credit_code] if name == "registry:institution_detail" else []
    assert as_role(role).get(reverse(name, args=args)).status_code == OK
