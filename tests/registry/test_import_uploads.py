"""The files of the admin's spreadsheet import (issue 12 §8): they hold identity numbers (SPEC §7),
so none outlives its use — confirmed, cancelled, failed, replaced by a new upload — and one left by
a check nobody confirmed is swept after IMPORT_UPLOAD_MAX_AGE (beat, every 15 minutes, and
`manage.py import_uploads_sweep`). Through the admin's HTTP flow, as staff use it."""

import io
import os
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from registry.admin import UPLOAD_DIR
from registry.models import Institution
from registry.tasks import import_uploads_sweep_task
from tests.factories import JurisdictionFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
IMPORT_URL = reverse("admin:registry_institution_spreadsheet_import")
CHECK_ITEMS_URL = reverse("admin:registry_checkitem_spreadsheet_import")
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
HOUR = 3600


@pytest.fixture(autouse=True)
def jurisdiction():
    return JurisdictionFactory()


@pytest.fixture(autouse=True)
def empty_upload_dir():
    """Each test starts and ends with nothing in the upload directory."""
    for path in UPLOAD_DIR.glob("*") if UPLOAD_DIR.exists() else ():
        path.unlink()
    yield
    for path in UPLOAD_DIR.glob("*") if UPLOAD_DIR.exists() else ():
        path.unlink()


def left() -> list[Path]:
    return sorted(UPLOAD_DIR.glob("*")) if UPLOAD_DIR.exists() else []


def sample(name: str = "institutions.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/csv")


def check(client, upload=None, url: str = IMPORT_URL) -> str:
    """The first step: upload and check; returns the confirmation token."""
    page = client.post(url, {"file": upload or sample()}).content.decode()
    return TOKEN_RE.search(page).group(1)


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def truncated_xlsx() -> SimpleUploadedFile:
    """A workbook whose sheet was cut off (a download interrupted, a copy made while saving)."""
    book = openpyxl.Workbook()
    book.active.append(["统一社会信用代码", "机构名称", "行业", "辖区代码"])
    book.active.append(["31500103MD0000000X", "甲律师事务所", "律师", "500103"])
    whole = io.BytesIO()
    book.save(whole)
    cut = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return SimpleUploadedFile("机构.xlsx", cut.getvalue())


# -- used: nothing left ------------------------------------------------------------------------
def test_checked_and_left_stays_until_confirmed_then_goes(staff_client):
    token = check(staff_client)
    assert len(left()) == 1  # kept for the confirmation only
    staff_client.post(IMPORT_URL, {"token": token})
    assert Institution.objects.count() == 4
    assert left() == []


def test_cancelled_is_deleted(staff_client):
    token = check(staff_client)
    response = staff_client.post(IMPORT_URL, {"cancel": token}, follow=True)
    assert any("已删除" in m for m in messages_of(response))
    assert left() == []
    assert not Institution.objects.exists()
    # The token is dead: confirming it now imports nothing.
    staff_client.post(IMPORT_URL, {"token": token})
    assert not Institution.objects.exists()


def test_a_new_upload_replaces_the_one_waiting(staff_client):
    first = check(staff_client)
    second = check(staff_client)
    assert first != second
    assert [p.name for p in left()] == [f"{second}.upload"]
    response = staff_client.post(IMPORT_URL, {"token": first}, follow=True)
    assert any("已失效" in m for m in messages_of(response))
    assert not Institution.objects.exists()


def test_uploads_of_other_kinds_wait_side_by_side(staff_client):
    check(staff_client)
    check(staff_client, sample("check-items.csv"), url=CHECK_ITEMS_URL)
    assert len(left()) == 2


def test_rejected_file_is_not_kept(staff_client):
    rows = "统一社会信用代码,机构名称,行业,辖区代码\n123,甲,律所,999999\n".encode()
    page = staff_client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.csv", rows)})
    assert "处错误" in page.content.decode()
    assert left() == []


def test_broken_workbook_gets_a_message_and_is_not_kept(staff_client):
    # Before: the reader's XML error escaped as a 500 and the file stayed behind.
    response = staff_client.post(IMPORT_URL, {"file": truncated_xlsx()})
    assert response.status_code == 200
    assert "不是有效的 .xlsx 工作簿" in response.content.decode()
    assert left() == []


def test_a_failed_confirmation_deletes_the_file(staff_client):
    token = check(staff_client)
    Path(UPLOAD_DIR / f"{token}.upload").write_bytes(b"\x00garbage")  # changed under us
    response = staff_client.post(IMPORT_URL, {"token": token}, follow=True)
    assert response.status_code == 200
    assert left() == []
    assert not Institution.objects.exists()


def test_another_sessions_token_is_refused(staff_client, client, admin_user):
    token = check(staff_client)
    client.force_login(admin_user)
    response = client.post(IMPORT_URL, {"token": token}, follow=True)
    assert any("已失效" in m for m in messages_of(response))
    assert not Institution.objects.exists()
    assert len(left()) == 1  # still the other session's to confirm or cancel


# -- left behind: swept ------------------------------------------------------------------------
def test_sweep_deletes_what_is_older_than_the_max_age(staff_client, settings):
    settings.IMPORT_UPLOAD_MAX_AGE = HOUR
    check(staff_client)
    [stale] = left()
    age(stale, HOUR + 60)
    fresh = check(staff_client, url=CHECK_ITEMS_URL, upload=sample("check-items.csv"))
    assert import_uploads_sweep_task.apply().get() == 1
    assert [p.name for p in left()] == [f"{fresh}.upload"]


def test_sweep_on_demand(staff_client, settings):
    check(staff_client)
    age(left()[0], 2 * HOUR)
    out = io.StringIO()
    call_command("import_uploads_sweep", stdout=out)
    assert "1" in out.getvalue()
    assert left() == []


def test_sweep_with_nothing_to_do():
    assert import_uploads_sweep_task.apply().get() == 0


def test_an_expired_token_is_refused_and_its_file_deleted(staff_client, settings):
    settings.IMPORT_UPLOAD_MAX_AGE = HOUR
    token = check(staff_client)
    age(left()[0], HOUR + 1)
    response = staff_client.post(IMPORT_URL, {"token": token}, follow=True)
    assert any("已失效" in m for m in messages_of(response))
    assert not Institution.objects.exists()
    assert left() == []


def test_beat_sweeps_every_15_minutes():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="registry.import_uploads_sweep_task")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (15, "minutes")
