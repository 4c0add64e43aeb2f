"""`manage.py demo_data`: the demo a bureau sees after `make run` — draws that verify, the first
lawyers' round carried through to the filing, the second in progress on demo-inspector-1's
tablet — and not one resident ID number or phone number on any public page or export (SPEC §7,
issue 5 §4)."""

import base64
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from core import roles
from inspections.models import CheckRecord, Draw, Inspection, InspectionTask
from inspections.services.draws import draw_verify
from publication.models import ResultNotice
from registry.models import Institution, Practitioner
from tests.twofactor import totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "demo-Pass-2026"
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
def demo():
    call_command("demo_data", password=PASSWORD, stdout=io.StringIO())


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


def test_the_demo_tells_the_whole_story(demo, client):
    executed = Draw.objects.filter(status=Draw.Status.EXECUTED)
    assert executed.count() == 2
    assert all(draw_verify(d) == [] for d in executed)
    assert Draw.objects.filter(status=Draw.Status.ANNOUNCED).count() == 1

    finished = InspectionTask.objects.get(plan_round__number=1, sector__code="lawyer")
    inspections = finished.inspections.all()
    for inspection in inspections:
        record = inspection.records.get()
        assert record.is_submitted and record.evidence.count() == 1
        assert record.signatures.filter(role="inspector").count() == 2
        assert record.signatures.filter(role="representative").count() == 1
        assert inspection.feedback.delivered_on
    assert finished.report.is_approved
    assert finished.filing.received_by.username == "demo-legal"
    assert finished.inspections.filter(ledger_entries__isnull=False).count() == 2
    assert ResultNotice.objects.public().count() == inspections.count()
    assert not ResultNotice.objects.filter(late=True).exists()

    current = InspectionTask.objects.get(plan_round__number=2, sector__code="lawyer")
    mine = Inspection.objects.filter(
        task=current, members__inspector__user__username="demo-inspector-1"
    )
    assert CheckRecord.objects.filter(inspection__in=mine, status="draft").count() == 1
    # Through the login page, as a newcomer would (no initial-password change for the demo), on
    # the demo tablet bound with a code `demo_code --tablet` prints.
    code = io.StringIO()
    call_command("demo_code", tablet=True, stdout=code)
    assert client.post("/inspect/tablet/", {"code": code.getvalue().strip()}).status_code == 302
    login = {"username": "demo-inspector-1", "password": PASSWORD}
    assert client.post("/inspect/login/", login).status_code == 302
    page = body(client.get("/inspect/"))
    assert all(i.institution.name in page for i in mine)

    # Running it again changes nothing that was there.
    counts = (CheckRecord.objects.count(), ResultNotice.objects.count(), Draw.objects.count())
    call_command("demo_data", password=PASSWORD, stdout=io.StringIO())
    assert counts == (
        CheckRecord.objects.count(),
        ResultNotice.objects.count(),
        Draw.objects.count(),
    )


def public_urls() -> list[str]:
    urls = [
        reverse("registry:home"),
        reverse("registry:checkitem_list"),
        reverse("registry:institution_list"),
        reverse("registry:inspector_list"),
        reverse("inspections:plan_list"),
        reverse("inspections:draw_list"),
        reverse("inspections:draw_list_json"),
        reverse("publication:result_list"),
        reverse("publication:result_list_csv"),
        reverse("publication:result_list_json"),
        reverse("publication:result_list_atom"),
    ]
    pages = -(-Institution.objects.count() // 30)
    urls += [f"{reverse('registry:institution_list')}?page={n}" for n in range(2, pages + 1)]
    urls += [
        reverse("registry:institution_detail", args=[code])
        for code in Institution.objects.values_list("credit_code", flat=True)
    ]
    from inspections.models import AnnualPlan

    urls += [reverse("inspections:plan_detail", args=[p.pk]) for p in AnnualPlan.objects.all()]
    for draw in Draw.objects.all():
        urls += [
            reverse("inspections:draw_detail", args=[draw.pk]),
            reverse("inspections:draw_json", args=[draw.pk]),
        ]
    urls += [
        reverse("publication:result_detail", args=[pk])
        for pk in ResultNotice.objects.values_list("pk", flat=True)
    ]
    return urls


def test_no_personal_data_on_any_public_page_or_export(demo, client):
    people = Practitioner.objects.exclude(id_number="")
    ids = set(people.values_list("id_number", flat=True))
    phones = set(Practitioner.objects.exclude(phone="").values_list("phone", flat=True))
    assert len(ids) > 1000 and len(phones) > 1000  # the demo has them, on the staff side
    scanned = 0
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        if url.endswith(".json"):
            json.loads(text)
        leaked = set(ID_NUMBER.findall(text)) & ids or set(PHONE.findall(text)) & phones
        assert not leaked, (url, leaked)
        assert not PHONE.findall(text), (url, PHONE.findall(text)[:3])
        scanned += 1
    assert scanned > 100


def test_a_newcomer_logs_in_to_the_admin_with_the_printed_password_and_secret(client):
    """Issue 14 §1: the demo's staff accounts have a fixed authenticator whose secret the demo
    prints with the password; with it (or `demo_code`) the admin opens, no enrolment needed."""
    out = io.StringIO()
    call_command("demo_data", password=PASSWORD, stdout=out)
    printed = dict(re.findall(r"^  (demo-[a-z]+): ([A-Z2-7]{32})$", out.getvalue(), re.MULTILINE))
    assert set(printed) == {
        "demo-admin",
        "demo-secadmin",
        "demo-auditadmin",
        "demo-staff",
        "demo-leader",
        "demo-legal",
        "demo-auditor",
    }
    # The daily work needs no superuser (三员分立, issue 14 §2): the demo has none, and its three
    # administrators hold one role each.
    User = get_user_model()
    assert not User.objects.filter(is_superuser=True).exists()
    for username, role in [
        ("demo-admin", roles.SYSADMIN),
        ("demo-secadmin", roles.SECADMIN),
        ("demo-auditadmin", roles.AUDITADMIN),
    ]:
        assert [g.name for g in User.objects.get(username=username).groups.all()] == [role]
    key = base64.b32decode(printed["demo-staff"]).hex()
    response = client.post(
        "/admin/login/", {"username": "demo-staff", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.url.startswith("/admin/second-factor/?")
    code = io.StringIO()
    call_command("demo_code", "demo-staff", stdout=code)
    assert code.getvalue().strip() == totp_code(key)
    response = client.post("/admin/second-factor/", {"code": code.getvalue().strip()})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    with pytest.raises(CommandError, match="不是演示工作人员账号"):
        call_command("demo_code", "demo-inspector-1", stdout=io.StringIO())


def test_a_newcomer_binds_the_demo_tablet_with_the_printed_code_and_logs_in(client):
    """Issue 14 §1: the field screens open only on a bound tablet; the demo prints a binding code
    for its tablet, and `demo_code --tablet` gives a new one."""
    out = io.StringIO()
    call_command("demo_data", password=PASSWORD, stdout=out)
    code = re.search(r"绑定码 ([A-Z2-9]{5}-[A-Z2-9]{5})", out.getvalue()).group(1)
    login = {"username": "demo-inspector-1", "password": PASSWORD}
    assert client.post("/inspect/login/", login).status_code == 200  # not bound yet
    assert client.post("/inspect/tablet/", {"code": code}).status_code == 302
    assert client.post("/inspect/login/", login).url == "/inspect/"
    again = io.StringIO()
    call_command("demo_data", password=PASSWORD, stdout=again)
    assert "绑定码" not in again.getvalue()  # still bound: nothing to do
    fresh = io.StringIO()
    call_command("demo_code", tablet=True, stdout=fresh)
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}\n", fresh.getvalue())
