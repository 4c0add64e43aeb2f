"""The admin's spreadsheet import (check first, nothing written; then confirm with a token) and the
django-import-export export, whose file imports back unchanged (SPEC §1, N6: history kept)."""

import csv
import io
import random
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry.admin import UPLOAD_DIR
from registry.imports import registry_import_file
from registry.models import CheckItem, Conflict, Inspector, Institution, Practitioner
from tests.factories import JurisdictionFactory, make_credit_code

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
IMPORT_URL = reverse("admin:registry_institution_spreadsheet_import")
CHANGELIST_URL = reverse("admin:registry_institution_changelist")
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
KINDS = [
    # kind, model, sample file — in dependency order
    ("institutions", Institution, "institutions.csv"),
    ("practitioners", Practitioner, "practitioners.csv"),
    ("inspectors", Inspector, "inspectors.csv"),
    ("check-items", CheckItem, "check-items.csv"),
    ("conflicts", Conflict, "conflicts.csv"),
]


@pytest.fixture(autouse=True)
def jurisdiction():
    return JurisdictionFactory()


@pytest.fixture(autouse=True)
def clean_uploads():
    """Remove what a test leaves in the upload directory; yields the files there before it."""
    before = set(UPLOAD_DIR.glob("*")) if UPLOAD_DIR.exists() else set()
    yield before
    for path in set(UPLOAD_DIR.glob("*")) - before if UPLOAD_DIR.exists() else ():
        path.unlink(missing_ok=True)


def sample_upload(name: str = "institutions.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/csv")


def csv_upload(rows: list[list[str]], name: str = "upload.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def uploads() -> set[Path]:
    return set(UPLOAD_DIR.glob("*")) if UPLOAD_DIR.exists() else set()


# -- check, then confirm ---------------------------------------------------------------------------
def test_import_page_loads(staff_client):
    response = staff_client.get(IMPORT_URL)
    assert response.status_code == 200
    assert "import_registry institutions FILE" in response.content.decode()
    changelist = staff_client.get(CHANGELIST_URL).content.decode()
    assert IMPORT_URL in changelist  # the link in the object tools


def test_check_step_writes_nothing_and_offers_confirmation(staff_client, clean_uploads):
    response = staff_client.post(IMPORT_URL, {"file": sample_upload()})
    assert response.status_code == 200
    page = response.content.decode()
    assert "检查通过：共 4 行：新增 4，更新 0，未变 0。" in page
    assert "确认导入" in page
    assert TOKEN_RE.search(page)
    assert not Institution.objects.exists()
    assert not Institution.history.exists()
    assert len(uploads() - clean_uploads) == 1  # kept for the confirm step only


def test_confirm_with_token_imports(staff_client, staff_user):
    page = staff_client.post(IMPORT_URL, {"file": sample_upload()}).content.decode()
    token = TOKEN_RE.search(page).group(1)
    response = staff_client.post(IMPORT_URL, {"token": token})
    assert response.status_code == 302
    assert response.url == CHANGELIST_URL
    assert any("导入完成：共 4 行：新增 4" in m for m in messages_of(response))
    assert Institution.objects.count() == 4
    history = Institution.history.all()
    assert {h.history_user for h in history} == {staff_user}
    assert {h.history_change_reason for h in history} == {"后台表格导入"}
    assert {h.history_type for h in history} == {"+"}

    # The token is single-use: the stored file is gone.
    again = staff_client.post(IMPORT_URL, {"token": token})
    assert again.status_code == 302
    assert again.url == IMPORT_URL
    assert any("已失效" in m for m in messages_of(again))
    assert Institution.objects.count() == 4


def test_reimport_through_admin_reports_unchanged(staff_client):
    for _ in range(2):
        page = staff_client.post(IMPORT_URL, {"file": sample_upload()}).content.decode()
        staff_client.post(IMPORT_URL, {"token": TOKEN_RE.search(page).group(1)})
    page = staff_client.post(IMPORT_URL, {"file": sample_upload()}).content.decode()
    assert "共 4 行：新增 0，更新 0，未变 4。" in page
    assert Institution.objects.count() == 4
    assert Institution.history.count() == 4


def test_bad_file_shows_every_error_and_writes_nothing(staff_client, clean_uploads):
    header = ["统一社会信用代码", "机构名称", "行业", "辖区代码"]
    good = make_credit_code("lawyer", "500103", 1)
    rows = [
        header,
        [good, "甲律师事务所", "律师", "500103"],
        [make_credit_code("lawyer", "500103", 2), "乙律师事务所", "律所", "500103"],
        [good[:17] + ("1" if good[17] == "0" else "0"), "丙律师事务所", "律师", "500103"],
        [make_credit_code("lawyer", "500103", 4), "", "律师", "999999"],
    ]
    response = staff_client.post(IMPORT_URL, {"file": csv_upload(rows)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "发现 4 处错误，未写入任何数据" in page
    table = page[page.index('<table id="import-errors">') :]
    for row, column in [(3, "行业"), (4, "统一社会信用代码"), (5, "机构名称"), (5, "辖区代码")]:
        assert f"<td>{row}</td><td>{column}</td>" in table
    assert "<td>2</td>" not in table
    assert 'name="token"' not in page  # nothing to confirm
    assert not Institution.objects.exists()
    assert uploads() == clean_uploads  # a rejected upload is not kept


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "所提交的是空文件"),  # Django's own form validation
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "不支持旧版 .xls 文件"),
        ("统一社会信用代码,机构名称\n".encode("gbk"), "UTF-8"),
        ("机构名称,行业\n甲,律师\n".encode(), "缺少必填列：统一社会信用代码、辖区代码"),
        (random.Random(7).randbytes(10 * 2**20), "无法识别的文件类型"),
    ],
    ids=["empty", "xls", "gbk", "missing-columns", "10-mb-garbage"],
)
def test_unreadable_files_get_a_clear_message(staff_client, clean_uploads, content, message):
    upload = SimpleUploadedFile("x.csv", content, content_type="text/csv")
    response = staff_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Institution.objects.exists()
    assert uploads() == clean_uploads


def test_forged_token_is_refused(staff_client):
    response = staff_client.post(IMPORT_URL, {"token": "../../config/settings/base.py"})
    assert response.status_code == 403


def test_every_kind_has_an_import_page(staff_client):
    for kind, model, sample in KINDS:
        url = reverse(f"admin:registry_{model._meta.model_name}_spreadsheet_import")
        page = staff_client.post(url, {"file": sample_upload(sample)}).content.decode()
        assert "检查通过" in page, kind
        response = staff_client.post(url, {"token": TOKEN_RE.search(page).group(1)})
        assert response.status_code == 302
    assert [m.objects.count() for _k, m, _s in KINDS] == [4, 6, 3, 2, 2]


# -- who may import --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("staff_user", 200),
        ("admin_user", 200),
        ("sysadmin_user", 403),  # 三员分立: no business screen (issue 14 §2)
        ("secadmin_user", 403),
        ("auditadmin_user", 403),
        ("auditor_user", 403),
        ("leader_user", 403),
        ("legal_user", 403),
    ],
)
def test_import_permission_by_role(client, request, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.get(IMPORT_URL).status_code == status
    response = client.post(IMPORT_URL, {"file": sample_upload()})
    assert response.status_code == status
    assert not Institution.objects.exists()


def test_auditor_gets_403_and_no_import_link(client, auditor_user):
    client.force_login(auditor_user)
    assert client.get(IMPORT_URL).status_code == 403
    page = client.get(CHANGELIST_URL)
    assert page.status_code == 200
    assert IMPORT_URL not in page.content.decode()


def test_inspectors_and_anonymous_are_sent_to_login(client, inspector_user):
    assert client.get(IMPORT_URL).status_code == 302
    client.force_login(inspector_user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert "login" in response.url


# -- export and round trip -------------------------------------------------------------------------
def export_csv(client, model) -> bytes:
    model_admin = admin.site._registry[model]
    titles = [f().get_title() for f in model_admin.get_export_formats()]
    resource = model_admin.get_export_resource_classes(None)[0]
    data = {"format": str(titles.index("csv")), "resource": "0"}
    for name in resource().get_export_order():
        data[f"{resource.__name__.lower()}_{name}"] = "on"
    response = client.post(reverse(f"admin:registry_{model._meta.model_name}_export"), data)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return response.content


def load_samples() -> None:
    for kind, _model, sample in KINDS:
        assert registry_import_file(kind=kind, path=SAMPLES / sample).ok


def test_institution_export_has_chinese_columns_and_round_trips(staff_client, tmp_path):
    load_samples()
    content = export_csv(staff_client, Institution)
    text = content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == [
        "统一社会信用代码",
        "机构名称",
        "行业",
        "辖区代码",
        "执业许可证号",
        "负责人",
        "地址",
        "状态",
        "成立日期",
        "规模",
    ]
    assert "31500103000000101L,重庆示例正信律师事务所,律师,500103" in text
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    result = registry_import_file(kind="institutions", path=path)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.rows, result.created, result.updated, result.unchanged) == (4, 0, 0, 4)
    assert Institution.history.filter(history_type="~").count() == 0


@pytest.mark.parametrize(("kind", "model", "_sample"), KINDS, ids=[k[0] for k in KINDS])
def test_every_export_imports_back_with_zero_changes(staff_client, tmp_path, kind, model, _sample):
    load_samples()
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(export_csv(staff_client, model))
    result = registry_import_file(kind=kind, path=path, dry_run=True)
    assert result.ok, [str(e) for e in result.errors]
    assert result.ignored_columns == []
    assert result.rows == model.objects.count()
    assert (result.created, result.updated) == (0, 0)


def test_export_after_an_import_change_is_reflected(staff_client, tmp_path):
    load_samples()
    text = (SAMPLES / "institutions.csv").read_text(encoding="utf-8-sig")
    changed = tmp_path / "changed.csv"
    changed.write_text(text.replace("重庆示例明德律师事务所", "重庆示例明德（改名）律师事务所"))
    assert registry_import_file(kind="institutions", path=changed).updated == 1
    assert "重庆示例明德（改名）律师事务所" in export_csv(staff_client, Institution).decode()
