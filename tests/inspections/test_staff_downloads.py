"""Staff downloads in production (issue 12 §7): production serves no `/media/` (evidence and
personal data), so every admin link to evidence, signatures, record and report PDFs, letters,
proofs, ledger material and credit-feed files goes through a permission-checked view — 404 for
anyone without the model's view permission, as for a row that is not there — streamed by Django
or handed to the proxy with X-Accel-Redirect."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse

from core import roles
from core.models import AuditEvent
from inspections.models import CheckRecord, Feedback, LedgerEntry
from publication.models import FeedBatch
from tests.factories import UserFactory
from tests.inspections import pdf_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


@pytest.fixture(autouse=True)
def production_like(settings, tmp_path):
    """What production has: DEBUG off (no /media/ route), files in a storage of their own."""
    settings.DEBUG = False
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROTECTED_MEDIA_ACCEL_PREFIX = ""


@pytest.fixture
def reported(executed, staff_user, leader_user, check_items):
    task = executed.task
    for inspection in task.inspections.all():
        pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=1)
    report = pdf_data.report_make(task, user=staff_user, leader=leader_user)
    inspection = task.inspections.first()
    problem = inspection.records.get().items.filter(outcome="problem").first()
    pdf_data.feedback_make(inspection, user=staff_user, rectify_item=problem)
    entry = LedgerEntry.objects.get(inspection=inspection)
    entry.evidence.save("rectified.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    batch = FeedBatch.objects.create(endpoint="")
    batch.file.save("batch.json", ContentFile(b'{"items": []}'), save=True)
    return report


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/admin/files/[^"]+)"', html)


def stored_bytes(file) -> bytes:
    with file.storage.open(file.name, "rb") as handle:
        return handle.read()


def admin_pages(reported) -> list[str]:
    record = CheckRecord.objects.filter(inspection__task=reported.task).first()
    feedback = Feedback.objects.filter(inspection__task=reported.task).first()
    entry = LedgerEntry.objects.filter(inspection__task=reported.task).first()
    return [
        reverse("admin:inspections_checkrecord_change", args=[record.pk]),
        reverse("admin:inspections_checkrecord_changelist"),
        reverse("admin:inspections_inspectionreport_change", args=[reported.pk]),
        reverse("admin:inspections_feedback_change", args=[feedback.pk]),
        reverse("admin:inspections_ledgerentry_change", args=[entry.pk]),
        reverse("admin:publication_feedbatch_change", args=[FeedBatch.objects.get().pk]),
    ]


def test_no_admin_page_links_to_media_and_every_link_downloads(client, staff_user, reported):
    client.force_login(staff_user)
    found = []
    for page in admin_pages(reported):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "/media/" not in html, page
        found += links(html)
    kinds = {link.split("/")[3] + "." + link.split("/")[5] for link in found}
    assert kinds >= {
        "inspections.evidence.file",
        "inspections.signature.image",
        "inspections.checkrecord.pdf",
        "inspections.inspectionreport.pdf",
        "inspections.feedback.letter",
        "inspections.ledgerentry.evidence",
        "publication.feedbatch.file",
    }
    for link in set(found):
        response = client.get(link)
        assert response.status_code == 200, link
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content)


def test_media_urls_are_not_served(client, staff_user, reported):
    client.force_login(staff_user)
    evidence = CheckRecord.objects.filter(inspection__task=reported.task).first().evidence.first()
    assert client.get(evidence.file.url).status_code == 404


def test_the_download_is_the_stored_file_with_its_name(client, staff_user, reported):
    client.force_login(staff_user)
    evidence = CheckRecord.objects.filter(inspection__task=reported.task).first().evidence.first()
    url = reverse("staff_file", args=["inspections.evidence", evidence.pk, "file"])
    response = client.get(url)
    assert b"".join(response.streaming_content) == stored_bytes(evidence.file)
    assert "attachment" in response["Content-Disposition"]
    # Issue 14 §3: evidence holds personal data; every download is audited.
    event = AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOADED).get()
    assert (event.username, event.target_model, event.target_id, event.detail) == (
        "staff",
        "inspections.evidence",
        str(evidence.pk),
        {"field": "file"},
    )


def test_a_signed_record_not_rendered_yet_is_rendered_by_its_download(client, staff_user, reported):
    client.force_login(staff_user)
    record = CheckRecord.objects.filter(inspection__task=reported.task, pdf="").first()
    response = client.get(reverse("staff_file", args=["inspections.checkrecord", record.pk, "pdf"]))
    assert response.status_code == 200
    record.refresh_from_db()
    assert b"".join(response.streaming_content) == stored_bytes(record.pdf)


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("inspections.evidence", "file"),
        ("inspections.evidence", "original_name"),  # not a registered file field
        ("auth.user", "password"),
        ("inspections.nothing", "file"),
    ],
    ids=["no-permission", "not-a-file", "not-registered", "no-model"],
)
def test_anything_else_is_404(client, reported, label, field):
    nobody = UserFactory(username="clerk", is_staff=True)  # staff, without permissions
    client.force_login(nobody)
    evidence = CheckRecord.objects.filter(inspection__task=reported.task).first().evidence.first()
    assert client.get(reverse("staff_file", args=[label, evidence.pk, field])).status_code == 404


def test_an_inspector_or_anonymous_never_gets_a_file(client, reported):
    evidence = CheckRecord.objects.filter(inspection__task=reported.task).first().evidence.first()
    url = reverse("staff_file", args=["inspections.evidence", evidence.pk, "file"])
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    inspector = UserFactory(username="field")
    inspector.groups.add(Group.objects.get(name=roles.INSPECTOR))
    client.force_login(inspector)
    assert client.get(url).status_code == 302  # not staff: the admin's login


@pytest.mark.parametrize("pk", [987654321, 2**63, 10**30], ids=["absent", "bigint+1", "huge"])
def test_a_row_that_is_not_there_is_404(client, staff_user, reported, pk):
    client.force_login(staff_user)
    url = reverse("staff_file", args=["inspections.evidence", pk, "file"])
    assert client.get(url).status_code == 404


def test_handed_to_the_proxy_with_x_accel_redirect(client, staff_user, reported, settings):
    settings.PROTECTED_MEDIA_ACCEL_PREFIX = "/_protected/"
    client.force_login(staff_user)
    evidence = CheckRecord.objects.filter(inspection__task=reported.task).first().evidence.first()
    response = client.get(reverse("staff_file", args=["inspections.evidence", evidence.pk, "file"]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/" + evidence.file.name
    assert response.content == b""  # the proxy sends the bytes
    assert "filename*=UTF-8''" in response["Content-Disposition"]
