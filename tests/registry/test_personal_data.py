"""Personal data (SPEC §7; issue 14 §4, PIPL; GB/T 22239-2019 8.1.4.3 安全审计, 8.1.4.8 数据保密性,
8.1.4.11 个人信息保护): ID numbers and phones are stored encrypted, shown masked everywhere —
lists, pages, forms, exports for read-only roles, history — and in full only on the reveal page,
to those allowed, each opening recorded; never in logs or the error e-mail."""

import io
import logging
import os
import subprocess
import sys

import pytest
from django.core import mail
from django.core.exceptions import FieldError
from django.db import connection
from django.urls import reverse

from core.models import AuditEvent
from registry.admin.targets import PractitionerAdmin
from registry.models import Practitioner
from tests.factories import InstitutionFactory, PractitionerFactory
from tests.twofactor import SecondFactorClient

pytestmark = pytest.mark.django_db

ID, ID_MASKED = "11010519491231002X", "110105********002X"
PHONE, PHONE_MASKED = "13912345678", "139****5678"


@pytest.fixture
def lawyer():
    return PractitionerFactory(id_number=ID, phone=PHONE)


def change_url(lawyer) -> str:
    return reverse("admin:registry_practitioner_change", args=[lawyer.pk])


def reveal_url(lawyer) -> str:
    return reverse("admin:registry_practitioner_personal_data", args=[lawyer.pk])


def raw_columns(lawyer) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone FROM registry_practitioner WHERE id = %s", [lawyer.pk]
        )
        return cursor.fetchone()


# -- at rest --------------------------------------------------------------------------------------
def test_the_table_holds_tokens_not_the_numbers(lawyer):
    stored_id, stored_phone = raw_columns(lawyer)
    assert ID not in stored_id and PHONE not in stored_phone
    assert stored_id.startswith("gAAAAA") and stored_phone.startswith("gAAAAA")
    assert stored_id != PractitionerFactory(id_number=ID).id_number  # a fresh IV each time
    again = Practitioner.objects.get(pk=lawyer.pk)
    assert (again.id_number, again.phone) == (ID, PHONE)


def test_a_blank_value_stays_blank_and_can_be_found(db):
    blank = PractitionerFactory(id_number="", phone="")
    assert raw_columns(blank) == ("", "")
    assert list(Practitioner.objects.filter(id_number="")) == [blank]


def test_filtering_by_an_encrypted_value_is_refused_not_silently_empty(lawyer):
    """A filter on a value would compare it with a random token and find nothing."""
    with pytest.raises(FieldError, match="encrypted"):
        list(Practitioner.objects.filter(id_number=ID))
    with pytest.raises(FieldError):
        list(Practitioner.objects.filter(phone__startswith="139"))


# -- masked everywhere by default -----------------------------------------------------------------
@pytest.mark.parametrize("role", ["leader_user", "legal_user", "auditor_user", "staff_user"])
def test_every_role_sees_them_masked_on_the_page_and_in_the_list(client, request, role, lawyer):
    client.force_login(request.getfixturevalue(role))
    for url in (change_url(lawyer), reverse("admin:registry_practitioner_changelist")):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert ID not in html and PHONE not in html, url
        assert ID_MASKED in html and PHONE_MASKED in html, url


def test_only_those_allowed_get_the_link_to_the_full_values(
    client, staff_user, auditor_user, lawyer
):
    client.force_login(staff_user)
    assert reveal_url(lawyer) in client.get(change_url(lawyer)).content.decode()
    client.force_login(auditor_user)
    assert reveal_url(lawyer) not in client.get(change_url(lawyer)).content.decode()


def form_data(lawyer, **changes) -> dict:
    return {
        "institution": lawyer.institution_id,
        "name": lawyer.name,
        "certificate_number": lawyer.certificate_number,
        "status": lawyer.status,
        "id_number": "",
        "phone": "",
        **changes,
    }


def test_staff_correct_them_through_write_only_inputs(staff_client, lawyer):
    """The behaviour change of issue 14 §4: the form no longer shows the stored numbers; an empty
    input keeps them, a new one replaces them, the box clears them."""
    kept = staff_client.post(change_url(lawyer), form_data(lawyer, name="王律师"))
    assert kept.status_code == 302
    lawyer.refresh_from_db()
    assert (lawyer.name, lawyer.id_number, lawyer.phone) == ("王律师", ID, PHONE)

    new_id = "110105194912310038"
    staff_client.post(change_url(lawyer), form_data(lawyer, id_number=new_id, phone="023-63801234"))
    lawyer.refresh_from_db()
    assert (lawyer.id_number, lawyer.phone) == (new_id, "023-63801234")

    staff_client.post(change_url(lawyer), form_data(lawyer, clear_phone="on"))
    lawyer.refresh_from_db()
    assert (lawyer.id_number, lawyer.phone) == (new_id, "")


def test_a_wrong_id_number_is_refused_and_changes_nothing(staff_client, lawyer):
    page = staff_client.post(change_url(lawyer), form_data(lawyer, id_number="110105194912310022"))
    assert page.status_code == 200
    assert "校验位错误" in page.content.decode()
    lawyer.refresh_from_db()
    assert lawyer.id_number == ID


def test_a_new_practitioner_is_entered_with_them(staff_client, db):
    firm = InstitutionFactory()
    response = staff_client.post(
        reverse("admin:registry_practitioner_add"),
        {
            "institution": firm.pk,
            "name": "新律师",
            "certificate_number": "15001200000099999",
            "status": "practising",
            "id_number": ID,
            "phone": PHONE,
        },
    )
    assert response.status_code == 302
    created = Practitioner.objects.get(certificate_number="15001200000099999")
    assert (created.id_number, created.phone) == (ID, PHONE)


def test_those_not_allowed_cannot_set_them_either(client, legal_user, lawyer):
    client.force_login(legal_user)
    client.post(change_url(lawyer), form_data(lawyer, id_number="110105194912310038"))
    lawyer.refresh_from_db()
    assert lawyer.id_number == ID


# -- revealed: with the permission, one at a time, audited ----------------------------------------
def events(action=AuditEvent.Action.PII_REVEALED):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_reveal_asks_first_then_shows_and_records_each_opening(staff_client, staff_user, lawyer):
    asked = staff_client.get(reveal_url(lawyer))
    assert asked.status_code == 200
    assert ID not in asked.content.decode() and ID_MASKED in asked.content.decode()
    assert events() == []

    for _ in range(2):
        shown = staff_client.post(reveal_url(lawyer), REMOTE_ADDR="10.1.2.3")
        assert shown.status_code == 200
        html = shown.content.decode()
        assert ID in html and PHONE in html
        assert "no-cache" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    first, second = events()
    assert (first.user_id, first.ip, first.outcome) == (staff_user.pk, "10.1.2.3", "success")
    assert (first.target_model, first.target_id) == ("registry.practitioner", str(lawyer.pk))
    assert second.prev_hash == first.hash
    stored = repr(list(AuditEvent.objects.values()))
    assert ID not in stored and PHONE not in stored


@pytest.mark.parametrize("role", ["leader_user", "legal_user", "auditor_user"])
def test_reveal_is_refused_without_the_permission_and_the_refusal_recorded(
    client, request, role, lawyer
):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for method in (client.get, client.post):
        response = method(reveal_url(lawyer))
        assert response.status_code == 403
        assert ID not in response.content.decode()
    refusals = events()
    assert [(e.outcome, e.user_id) for e in refusals] == [("refused", user.pk)] * 2


def test_reveal_of_an_unknown_practitioner_is_404(staff_client, db):
    url = reverse("admin:registry_practitioner_personal_data", args=[999999])
    assert staff_client.post(url).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client, lawyer):
    response = client.post(reveal_url(lawyer))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- exports ---------------------------------------------------------------------------------------
EXPORT_FIELDS = ("certificate_number", "name", "institution", "id_number", "status", "phone")


@pytest.mark.parametrize(("role", "full"), [("auditor_user", False), ("staff_user", True)])
def test_export_masks_unless_allowed_and_is_recorded(client, request, role, full, lawyer):
    user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.post(
        reverse("admin:registry_practitioner_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"practitionerresource_{f}": "on" for f in EXPORT_FIELDS},
        },
    )
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert (ID in body) is full
    assert (ID_MASKED in body) is not full
    (event,) = events(AuditEvent.Action.EXPORTED)
    assert event.user_id == user.pk
    assert event.detail == {
        "model": "registry.practitioner",
        "rows": 1,
        "personal_data": "full" if full else "masked",
    }


# -- history ---------------------------------------------------------------------------------------
def test_history_keeps_who_but_not_the_personal_values(staff_client, auditor_user, client, lawyer):
    lawyer.id_number = "110105194912310038"
    lawyer.save()
    record = lawyer.history.first()
    assert not hasattr(record, "id_number")
    client.force_login(auditor_user)
    page = client.get(reverse("admin:registry_practitioner_history", args=[lawyer.pk]))
    assert page.status_code == 200
    assert "110105194912310038" not in page.content.decode()


# -- logs and error reports ------------------------------------------------------------------------
@pytest.fixture
def console():
    """What the configured console handler writes (settings.LOGGING), in a buffer."""
    handler = next(h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_an_error_on_a_page_with_an_id_number_leaks_it_nowhere(
    staff_user, lawyer, console, settings, monkeypatch
):
    """A crash while saving a practitioner: the log line, its traceback (with the exception's
    message, the form's data in the frames' variables) and the 500 e-mail to ADMINS are masked."""
    settings.ADMINS = [("运维", "ops@example.gov.cn")]

    def crash(self, request, obj, form, change):
        raise RuntimeError(f"cannot save {obj.id_number} / {obj.phone}")

    monkeypatch.setattr(PractitionerAdmin, "save_model", crash)
    client = SecondFactorClient(raise_request_exception=False)
    client.force_login(staff_user)  # and the second factor passed (tests/twofactor.py)
    new_id, new_phone = "110105194912310038", "13800001111"
    response = client.post(change_url(lawyer), form_data(lawyer, id_number=new_id, phone=new_phone))
    assert response.status_code == 500

    logged = console.getvalue()
    assert "RuntimeError" in logged and "110105********0038" in logged
    (report,) = mail.outbox
    text = report.subject + report.body + "".join(str(a[0]) for a in report.alternatives)
    assert "RuntimeError" in text and "110105********0038" in text  # there, masked
    for secret in (new_id, new_phone, ID, PHONE):
        assert secret not in logged, secret
        assert secret not in text, secret


def test_log_records_are_masked_whatever_logger_writes_them(console):
    logging.getLogger("inspections.anything").warning("row %s: phone %s", ID, "023-63801234")
    assert console.getvalue().strip() == f"row {ID_MASKED}: phone 023-********"


def test_the_celery_worker_logs_are_masked_too():
    """The worker replaces the root logger's handlers (config/celery.py): a task's log line and
    traceback with an ID number or phone come out masked."""
    script = (
        "import logging\n"
        "from config.celery import app\n"
        "app.log.setup_logging_subsystem(loglevel='INFO', colorize=False)\n"
        f"logging.getLogger('celery.task').warning('row {ID} phone {PHONE}')\n"
        "try:\n"
        f"    raise ValueError('{ID}')\n"
        "except ValueError:\n"
        "    logging.getLogger('inspections.tasks').exception('failed')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert f"row {ID_MASKED} phone {PHONE_MASKED}" in output
    assert "ValueError" in output and ID not in output and PHONE not in output


@pytest.mark.parametrize(
    "probe",
    [
        {"id_number__startswith": "110105"},
        {"id_number": ID},
        {"phone__regex": "^139"},
        {"id_number__gt": ""},
    ],
    ids=["startswith", "exact", "regex", "gt"],
)
def test_the_list_is_no_oracle_for_guessing_numbers(client, auditor_user, lawyer, probe):
    """An attack on masking: the admin list takes field lookups from its query string, so a
    read-only account could once narrow an ID number down digit by digit. Refused now."""
    client.force_login(auditor_user)
    response = client.get(reverse("admin:registry_practitioner_changelist"), probe)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert "e=1" in response["Location"]
