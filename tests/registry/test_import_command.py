"""`python manage.py import_registry KIND FILE [--dry-run]` (SPEC §1, Y3.2: the registries are kept
in sync with the licensing data): .xlsx and UTF-8 .csv, Chinese headers in any order, all or
nothing with every bad row reported (the header is row 1), updates by natural key, history kept."""

import csv
import datetime as dt
import io
import os
import random
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from registry.models import (
    CheckItem,
    Conflict,
    Inspector,
    Institution,
    Method,
    Practitioner,
    Sector,
)
from tests.factories import (
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    PractitionerFactory,
    UserFactory,
    make_credit_code,
    make_id_number,
)

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
# Dependency order: practitioners point at institutions, conflicts at all three.
SAMPLE_ORDER = [
    ("institutions", "institutions.csv", Institution, 4),
    ("practitioners", "practitioners.csv", Practitioner, 6),
    ("inspectors", "inspectors.csv", Inspector, 3),
    ("check-items", "check-items.csv", CheckItem, 2),
    ("conflicts", "conflicts.csv", Conflict, 2),
]
INSTITUTION_HEADER = ["统一社会信用代码", "机构名称", "行业", "辖区代码", "状态", "成立日期"]


def run(kind: str, path, *args: str) -> tuple[int, str, str]:
    """Run the command; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_registry", kind, str(path), *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def write_csv(path: Path, rows: list[list], *, bom: bool = False, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def code(n: int, sector_code: str = "lawyer") -> str:
    return make_credit_code(sector_code, "500103", n)


def institution_row(n: int, name: str | None = None, **overrides) -> list[str]:
    row = {
        "统一社会信用代码": code(n),
        "机构名称": name or f"重庆测试{n}律师事务所",
        "行业": "律师",
        "辖区代码": "500103",
        "状态": "执业",
        "成立日期": "2015-03-01",
    }
    row.update(overrides)
    return [row[h] for h in INSTITUTION_HEADER]


def load_samples() -> None:
    for kind, name, _model, _count in SAMPLE_ORDER:
        status, out, err = run(kind, SAMPLES / name)
        assert status == 0, (kind, err)


@pytest.fixture
def jurisdiction():
    return JurisdictionFactory()  # 500103, which every sample file names


# -- the samples -----------------------------------------------------------------------------------
def test_every_sample_imports_in_dependency_order(jurisdiction):
    for kind, name, model, count in SAMPLE_ORDER:
        status, out, err = run(kind, SAMPLES / name)
        assert status == 0, err
        assert err == ""
        assert f"导入完成：共 {count} 行：新增 {count}，更新 0，未变 0。" in out
        assert model.objects.count() == count

    notary = Institution.objects.get(credit_code="325001030000002017")
    assert notary.sector.code == Sector.Code.NOTARY
    assert notary.founded_on == dt.date(2001, 5, 1)
    assert notary.licence_number == ""
    assert Practitioner.objects.get(certificate_number="15001201910000001").institution == (
        Institution.objects.get(credit_code="31500103000000101L")
    )
    item = CheckItem.objects.get(code="LS-SAMPLE-01")
    assert item.methods == [Method.ON_SITE, Method.SYSTEM]
    assert item.frequency_per_year == 1  # "1次/年"
    assert CheckItem.objects.get(code="LS-SAMPLE-02").is_key is True
    kinship = Conflict.objects.get(kind=Conflict.Kind.KINSHIP)
    assert kinship.practitioner.certificate_number == "15001201910000001"
    assert kinship.valid_from == dt.date(2020, 1, 1)
    assert kinship.valid_to is None
    employment = Conflict.objects.get(kind=Conflict.Kind.EMPLOYMENT)
    assert employment.practitioner is None
    assert employment.source == Conflict.Source.STAFF


def test_imports_write_history_rows(jurisdiction):
    user = UserFactory(username="office")
    status, _out, err = run("institutions", SAMPLES / "institutions.csv", "--user", "office")
    assert status == 0, err
    history = Institution.history.all()
    assert history.count() == 4
    assert {h.history_type for h in history} == {"+"}
    assert {h.history_user for h in history} == {user}
    assert {h.history_change_reason for h in history} == {"表格导入"}


def test_unknown_user_is_refused(jurisdiction):
    with pytest.raises(CommandError, match="nobody"):
        run("institutions", SAMPLES / "institutions.csv", "--user", "nobody")
    assert not Institution.objects.exists()


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(CommandError):
        run("lawyers", SAMPLES / "institutions.csv")


def test_missing_file(tmp_path, jurisdiction):
    status, _out, err = run("institutions", tmp_path / "nope.csv")
    assert status == 1
    assert "找不到文件" in err


def test_sample_xlsx_imports(jurisdiction):
    status, out, err = run("institutions", SAMPLES / "institutions.xlsx")
    assert status == 0, err
    assert "新增 4" in out
    assert Institution.objects.count() == 4


# -- formats ---------------------------------------------------------------------------------------
def test_xlsx_with_real_dates_and_numbers(tmp_path, jurisdiction):
    """Excel keeps dates as dates and digits as numbers; both read as the text they show."""
    path = write_xlsx(
        tmp_path / "institutions.xlsx",
        [
            [
                "统一社会信用代码",
                "机构名称",
                "行业",
                "辖区代码",
                "执业许可证号",
                "成立日期",
                "规模",
            ],
            [code(1), "数字律师事务所", "律师", 500103, 315002010000123, dt.date(2015, 3, 1), 25],
            [code(2), "时刻律师事务所", "律师", 500103, None, dt.datetime(2016, 7, 8), 3.0],
            [code(3, "notary"), "数字公证处", "公证", 500103, None, dt.date(2001, 5, 1), None],
        ],
    )
    status, out, err = run("institutions", path)
    assert status == 0, err
    assert "新增 3" in out
    first = Institution.objects.get(credit_code=code(1))
    assert first.jurisdiction.code == "500103"
    assert first.licence_number == "315002010000123"
    assert first.founded_on == dt.date(2015, 3, 1)
    assert first.size == 25
    second = Institution.objects.get(credit_code=code(2))
    assert second.founded_on == dt.date(2016, 7, 8)
    assert second.size == 3
    assert Institution.objects.get(credit_code=code(3, "notary")).size is None


def test_xlsx_check_items_with_numbers_and_percent_cells(tmp_path):
    """A ratio typed as "5%" in Excel is stored as 0.05 with a percent format; it is 5 %."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["事项编码", "行业", "事项名称", "抽查内容", "抽查依据", "抽查主体", "抽查方式"]
        + ["抽查比例", "抽查频次", "生效日期", "排序"]
    )
    common = ["律师", "执业许可证使用", "检查是否出借", "《律师法》第二十三条", "区司法局"]
    sheet.append(["X-1", *common, "现场检查", 5, 2, dt.date(2026, 1, 1), 1])
    sheet.append(["X-2", *common, "案卷评查", 0.05, 1, dt.date(2026, 1, 1), 2])
    sheet["H3"].number_format = "0%"
    path = tmp_path / "items.xlsx"
    workbook.save(path)

    status, out, err = run("check-items", path)
    assert status == 0, err
    first = CheckItem.objects.get(code="X-1")
    assert first.default_ratio == Decimal(5)
    assert first.frequency_per_year == 2
    assert first.effective_from == dt.date(2026, 1, 1)
    assert first.order == 1
    assert CheckItem.objects.get(code="X-2").default_ratio == Decimal(5)


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_csv_with_and_without_bom(tmp_path, jurisdiction, bom):
    path = write_csv(
        tmp_path / "i.csv", [INSTITUTION_HEADER, institution_row(1), institution_row(2)], bom=bom
    )
    status, out, err = run("institutions", path)
    assert status == 0, err
    assert "新增 2" in out
    assert set(Institution.objects.values_list("credit_code", flat=True)) == {code(1), code(2)}


def test_sample_institutions_csv_has_a_bom():
    assert (SAMPLES / "institutions.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_columns_in_any_order_and_unknown_columns_ignored(tmp_path, jurisdiction):
    header = ["备注", *reversed(INSTITUTION_HEADER)]
    rows = [header] + [["随便", *reversed(institution_row(n))] for n in (1, 2)]
    status, out, err = run("institutions", write_csv(tmp_path / "r.csv", rows))
    assert status == 0, err
    assert "已忽略无法识别的列：备注" in out
    inst = Institution.objects.get(credit_code=code(1))
    assert inst.name == "重庆测试1律师事务所"
    assert inst.sector.code == Sector.Code.LAWYER
    assert inst.founded_on == dt.date(2015, 3, 1)


def test_blank_lines_are_skipped_and_row_numbers_stay_true(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER, institution_row(1), ["", "", ""], institution_row(2, 行业="律所")]
    status, _out, err = run("institutions", write_csv(tmp_path / "b.csv", rows))
    assert status == 1
    assert "第 4 行，行业：" in err  # the blank line 3 still counts as a spreadsheet row


# -- re-import -------------------------------------------------------------------------------------
def test_reimport_never_duplicates(jurisdiction):
    load_samples()
    for kind, name, model, count in SAMPLE_ORDER:
        status, out, err = run(kind, SAMPLES / name)
        assert status == 0, err
        assert f"共 {count} 行：新增 0，更新 0，未变 {count}。" in out
        assert model.objects.count() == count
    # Nothing changed, so no history beyond the creation.
    assert Institution.history.filter(history_type="~").count() == 0


def test_changed_name_updates_and_writes_history(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER, institution_row(1), institution_row(2)]
    assert run("institutions", write_csv(tmp_path / "a.csv", rows))[0] == 0
    rows[2] = institution_row(2, name="改名后的律师事务所")
    status, out, err = run("institutions", write_csv(tmp_path / "b.csv", rows))
    assert status == 0, err
    assert "共 2 行：新增 0，更新 1，未变 1。" in out
    assert Institution.objects.count() == 2
    inst = Institution.objects.get(credit_code=code(2))
    assert inst.name == "改名后的律师事务所"
    latest = inst.history.latest()
    assert latest.history_type == "~"
    assert latest.name == "改名后的律师事务所"
    assert latest.history_change_reason == "表格导入"
    assert inst.history.count() == 2
    assert Institution.objects.get(credit_code=code(1)).history.count() == 1


def test_credit_code_matched_case_insensitively(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER, institution_row(1)]
    assert run("institutions", write_csv(tmp_path / "a.csv", rows))[0] == 0
    rows[1][0] = rows[1][0].lower()
    status, out, _err = run("institutions", write_csv(tmp_path / "b.csv", rows))
    assert status == 0
    assert "未变 1" in out
    assert Institution.objects.count() == 1


def test_existing_records_made_elsewhere_are_updated_by_natural_key(tmp_path, jurisdiction):
    existing = InstitutionFactory(name="旧名称")
    rows = [
        INSTITUTION_HEADER,
        institution_row(0, name="新名称", 统一社会信用代码=existing.credit_code),
    ]
    status, out, err = run("institutions", write_csv(tmp_path / "a.csv", rows))
    assert status == 0, err
    assert "更新 1" in out
    existing.refresh_from_db()
    assert existing.name == "新名称"


# -- all or nothing --------------------------------------------------------------------------------
def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path, jurisdiction):
    InstitutionFactory(credit_code=code(90), name="早已存在")
    bad_check = code(3)[:17] + ("1" if code(3)[17] == "0" else "0")
    rows = [
        INSTITUTION_HEADER,
        institution_row(1),  # row 2: good
        institution_row(3, 统一社会信用代码=bad_check),  # row 3
        institution_row(4, 行业="律师所"),  # row 4: unknown sector
        institution_row(5, 辖区代码="500199"),  # row 5: unknown jurisdiction
        institution_row(6, 机构名称=""),  # row 6: empty required cell
        institution_row(1, name="另一家"),  # row 7: same credit code as row 2
        institution_row(8, 成立日期="2015-02-30", 状态="营业"),  # row 8: two bad cells
        institution_row(90, name="改名"),  # row 9: good update of an existing record
        institution_row(10),  # row 10: good
    ]
    status, out, err = run("institutions", write_csv(tmp_path / "bad.csv", rows))
    assert status == 1
    assert "导入完成" not in out
    lines = err.splitlines()
    expected = [
        ("第 3 行，统一社会信用代码：", "校验位"),
        ("第 4 行，行业：", "系统中没有行业“律师所”"),
        ("第 5 行，辖区代码：", "系统中没有辖区代码“500199”"),
        ("第 6 行，机构名称：", "必填，不能为空"),
        ("第 7 行，统一社会信用代码：", "与第 2 行重复"),
        ("第 8 行，状态：", "“营业”不是有效的状态"),
        ("第 8 行，成立日期：", "不是有效日期"),
    ]
    for prefix, reason in expected:
        assert any(line.startswith(prefix) and reason in line for line in lines), (prefix, err)
    assert "共 7 处错误，未写入任何数据。" in err
    reported = {line.split("，")[0] for line in lines[:-1]}
    assert reported == {f"第 {n} 行" for n in range(3, 9)}  # rows 2, 9 and 10 are good
    # Nothing written — not even the good rows, not the update, not history.
    assert list(Institution.objects.values_list("credit_code", "name")) == [(code(90), "早已存在")]
    assert Institution.history.count() == 1


def test_sector_prefix_mismatch_is_a_row_error(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER, institution_row(1, 行业="公证")]
    status, _out, err = run("institutions", write_csv(tmp_path / "p.csv", rows))
    assert status == 1
    assert "第 2 行，统一社会信用代码：" in err
    assert "前缀应为 32" in err
    assert not Institution.objects.exists()


def test_bad_rows_after_a_full_batch_still_roll_back(tmp_path, jurisdiction, monkeypatch):
    """Rows are written in batches as they stream in; a later bad row undoes the earlier ones."""
    from registry.imports import engine

    monkeypatch.setattr(engine, "BATCH_SIZE", 2)
    rows = [INSTITUTION_HEADER] + [institution_row(n) for n in range(1, 6)]
    rows.append(institution_row(6, 行业="?"))
    status, _out, err = run("institutions", write_csv(tmp_path / "late.csv", rows))
    assert status == 1
    assert "第 7 行，行业：" in err
    assert not Institution.objects.exists()
    assert not Institution.history.exists()


def test_large_file_is_written_in_batches(tmp_path, jurisdiction, monkeypatch):
    from registry.imports import engine

    monkeypatch.setattr(engine, "BATCH_SIZE", 3)
    rows = [INSTITUTION_HEADER] + [institution_row(n) for n in range(1, 11)]
    status, out, err = run("institutions", write_csv(tmp_path / "many.csv", rows))
    assert status == 0, err
    assert "新增 10" in out
    assert Institution.objects.count() == 10
    assert Institution.history.count() == 10
    rows[5] = institution_row(5, name="改名")
    status, out, _err = run("institutions", write_csv(tmp_path / "many2.csv", rows))
    assert "共 10 行：新增 0，更新 1，未变 9。" in out


def test_dry_run_writes_nothing_but_reports_counts(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER, institution_row(1), institution_row(2)]
    status, out, err = run("institutions", write_csv(tmp_path / "a.csv", rows), "--dry-run")
    assert status == 0, err
    assert "检查通过（--dry-run，未写入）：共 2 行：新增 2，更新 0，未变 0。" in out
    assert not Institution.objects.exists()
    assert not Institution.history.exists()

    assert run("institutions", tmp_path / "a.csv")[0] == 0
    rows.append(institution_row(3))
    rows[1] = institution_row(1, name="改名")
    status, out, _err = run("institutions", write_csv(tmp_path / "b.csv", rows), "--dry-run")
    assert "共 3 行：新增 1，更新 1，未变 1。" in out
    assert Institution.objects.count() == 2
    assert Institution.objects.get(credit_code=code(1)).name == "重庆测试1律师事务所"
    assert Institution.history.count() == 2


def test_dry_run_reports_bad_rows_too(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER, institution_row(1, 辖区代码="")]
    status, _out, err = run("institutions", write_csv(tmp_path / "a.csv", rows), "--dry-run")
    assert status == 1
    assert "第 2 行，辖区代码：必填，不能为空" in err


# -- files that are not what they should be --------------------------------------------------------
def test_missing_required_column_is_named(tmp_path, jurisdiction):
    header = [h for h in INSTITUTION_HEADER if h != "辖区代码"]
    rows = [
        header,
        [c for h, c in zip(INSTITUTION_HEADER, institution_row(1), strict=True) if h != "辖区代码"],
    ]
    status, _out, err = run("institutions", write_csv(tmp_path / "m.csv", rows))
    assert status == 1
    assert "第 1 行（表头）" in err
    assert "缺少必填列：辖区代码" in err
    assert not Institution.objects.exists()


def test_duplicated_header_is_refused(tmp_path, jurisdiction):
    rows = [[*INSTITUTION_HEADER, "机构名称"], [*institution_row(1), "又一个"]]
    status, _out, err = run("institutions", write_csv(tmp_path / "d.csv", rows))
    assert status == 1
    assert "表头“机构名称”出现了两次" in err


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf"], ids=["0-bytes", "bom-only"])
def test_empty_file(tmp_path, jurisdiction, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "文件为空" in err


def test_empty_xlsx(tmp_path, jurisdiction):
    status, _out, err = run("institutions", write_xlsx(tmp_path / "empty.xlsx", []))
    assert status == 1
    assert "文件为空" in err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_header_only_file(tmp_path, jurisdiction, fmt):
    writer = write_csv if fmt == "csv" else write_xlsx
    path = writer(tmp_path / f"header.{fmt}", [INSTITUTION_HEADER])
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "文件只有表头，没有数据行" in err


def test_legacy_xls_is_refused_with_advice(tmp_path, jurisdiction):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "不支持旧版 .xls 文件" in err
    assert ".xlsx" in err


def test_ten_megabytes_of_random_bytes(tmp_path, jurisdiction):
    path = tmp_path / "garbage.csv"
    path.write_bytes(random.Random(20260301).randbytes(10 * 2**20))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "无法识别的文件类型" in err
    assert "Traceback" not in err


def test_ten_megabytes_of_text_garbage(tmp_path, jurisdiction):
    """Valid UTF-8 but one enormous line: the CSV reader's field limit, not a crash."""
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"x" * (10 * 2**20))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "无法按 CSV 解析" in err


def test_corrupt_xlsx(tmp_path, jurisdiction):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(5000))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "不是有效的 .xlsx 工作簿" in err


def test_gbk_csv_gets_a_clear_message(tmp_path, jurisdiction):
    path = write_csv(tmp_path / "gbk.csv", [INSTITUTION_HEADER, institution_row(1)], encoding="gbk")
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "UTF-8" in err
    assert "GBK" in err
    assert not Institution.objects.exists()


def test_gbk_after_a_long_ascii_start(tmp_path, jurisdiction):
    """The first 4 KB look like UTF-8; the GBK text further down still gets a clear message."""
    header = ",".join(INSTITUTION_HEADER).encode()
    filler = b",,,,,\r\n" * 1000  # blank rows, skipped
    body = ",".join(institution_row(1)).encode("gbk")
    path = tmp_path / "late-gbk.csv"
    path.write_bytes(header + b"\r\n" + filler + body)
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "UTF-8" in err
    assert "Traceback" not in err


# -- practitioners ---------------------------------------------------------------------------------
PRACTITIONER_HEADER = ["执业证号", "姓名", "统一社会信用代码", "身份证号", "状态"]


def test_practitioner_with_unknown_credit_code(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    rows = [
        PRACTITIONER_HEADER,
        ["15001201910000101", "张三", firm.credit_code, make_id_number(1), "执业"],
        ["15001201910000102", "李四", code(77), make_id_number(2), "执业"],
    ]
    status, _out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 1
    assert f"第 3 行，统一社会信用代码：系统中没有统一社会信用代码“{code(77)}”" in err
    assert not Practitioner.objects.exists()


def test_practitioner_with_invalid_id_number(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    good = make_id_number(5)
    wrong = good[:17] + ("1" if good[17] == "0" else "0")
    rows = [
        PRACTITIONER_HEADER,
        ["15001201910000101", "张三", firm.credit_code, wrong, "执业"],
        ["15001201910000102", "李四", firm.credit_code, "12345", "执业"],
        ["15001201910000103", "王五", firm.credit_code, "", "执业"],  # optional
    ]
    status, _out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 1
    assert "第 2 行，身份证号：身份证号校验位错误" in err
    assert "第 3 行，身份证号：身份证号应为 18 位" in err
    assert "第 4 行" not in err
    assert not Practitioner.objects.exists()


def test_practitioner_lower_case_x_is_accepted(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    rows = [PRACTITIONER_HEADER, ["1500120191", "张三", firm.credit_code, "11010519491231002x", ""]]
    status, _out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 0, err
    person = Practitioner.objects.get()
    assert person.id_number == "11010519491231002X"
    assert person.status == Practitioner.Status.PRACTISING  # empty → default


def test_practitioner_moves_to_another_institution(tmp_path, jurisdiction):
    person = PractitionerFactory()
    other = InstitutionFactory()
    rows = [
        PRACTITIONER_HEADER,
        [person.certificate_number, person.name, other.credit_code, person.id_number, "执业"],
    ]
    status, out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 0, err
    assert "更新 1" in out
    person.refresh_from_db()
    assert person.institution == other
    assert person.history.latest().history_type == "~"


# -- inspectors ------------------------------------------------------------------------------------
INSPECTOR_HEADER = ["执法证号", "姓名", "辖区代码", "证件有效期至", "可检查行业", "人员类别"]


def test_inspector_sectors_and_association_staff(tmp_path, jurisdiction):
    rows = [
        INSPECTOR_HEADER,
        ["500103009009", "协会人员", "500103", "2028-12-31", "律师、公证", "行业协会工作人员"],
        ["500103001009", "执法员", "500103", "2028/12/31", "律师，公证；司法鉴定", "司法行政机关"],
    ]
    status, out, err = run("inspectors", write_csv(tmp_path / "i.csv", rows))
    assert status == 0, err
    assert "新增 2" in out
    member = Inspector.objects.get(certificate_number="500103009009")
    assert member.staff_type == Inspector.StaffType.ASSOCIATION
    assert {s.code for s in member.sectors.all()} == {"lawyer", "notary"}
    assert member.certificate_valid_to == dt.date(2028, 12, 31)
    # Y3.3: association staff can never stand in for enforcement officers.
    lawyer = Sector.objects.get(code="lawyer")
    assert not member.eligible_on(dt.date(2027, 1, 4), lawyer)
    officer = Inspector.objects.get(certificate_number="500103001009")
    assert officer.staff_type == Inspector.StaffType.BUREAU
    assert {s.code for s in officer.sectors.all()} == {"lawyer", "notary", "appraisal"}
    assert officer.eligible_on(dt.date(2027, 1, 4), lawyer)


def test_inspector_sectors_change_on_reimport(tmp_path, jurisdiction):
    rows = [INSPECTOR_HEADER, ["500103001001", "甲", "500103", "2028-12-31", "律师、公证", "机关"]]
    assert run("inspectors", write_csv(tmp_path / "a.csv", rows))[0] == 0
    assert "未变 1" in run("inspectors", tmp_path / "a.csv")[1]
    rows[1][4] = "公证、仲裁"
    status, out, err = run("inspectors", write_csv(tmp_path / "b.csv", rows))
    assert status == 0, err
    assert "更新 1" in out
    inspector = Inspector.objects.get()
    assert {s.code for s in inspector.sectors.all()} == {"notary", "arbitration"}
    assert Inspector.objects.count() == 1


def test_inspector_bad_rows(tmp_path, jurisdiction):
    rows = [
        INSPECTOR_HEADER,
        ["500103001001", "甲", "500103", "2028-12-31", "律师、会计", "机关"],
        ["500103001002", "乙", "500103", "2028-12-31", "律师", "临时工"],
        ["500103001003", "丙", "500103", "明年", "律师", "机关"],
        ["500103001004", "丁", "500103", "2028-12-31", "", "机关"],
    ]
    status, _out, err = run("inspectors", write_csv(tmp_path / "i.csv", rows))
    assert status == 1
    assert "第 2 行，可检查行业：“会计”不是有效的行业" in err
    assert "第 3 行，人员类别：“临时工”不是有效的人员类别" in err
    assert "第 4 行，证件有效期至：“明年”不是有效日期" in err
    assert "第 5 行，可检查行业：必填，不能为空" in err
    assert not Inspector.objects.exists()


def test_inspector_certificate_expired_before_the_default_start(tmp_path, jurisdiction):
    """Without a 证件有效期起 column the start defaults to 2020-01-01; an end before it is a row
    error, not a database crash (the check constraint inspector_certificate_range)."""
    rows = [INSPECTOR_HEADER, ["500103001001", "甲", "500103", "2019-06-30", "律师", "机关"]]
    status, _out, err = run("inspectors", write_csv(tmp_path / "i.csv", rows))
    assert status == 1
    assert "第 2 行，证件有效期至：" in err
    assert not Inspector.objects.exists()


# -- check items -----------------------------------------------------------------------------------
CHECK_ITEM_HEADER = ["事项编码", "行业", "事项名称", "抽查内容", "抽查依据", "抽查主体", "抽查方式"]
CHECK_ITEM_HEADER += ["抽查比例", "抽查频次"]


def check_item_row(code_: str, methods: str = "现场检查", ratio: str = "5%", freq: str = "1"):
    return [code_, "律师", "执业许可证使用", "检查是否出借", "《律师法》", "区司法局"] + [
        methods,
        ratio,
        freq,
    ]


def test_check_items_methods_and_ratio(tmp_path):
    rows = [
        CHECK_ITEM_HEADER,
        check_item_row("LS-01", "现场检查、信息系统核查", "5%"),
        check_item_row("LS-02", "案卷评查，电话回访当事人", "12.5 ％", "2次/年"),
    ]
    status, out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 0, err
    first = CheckItem.objects.get(code="LS-01")
    assert first.methods == ["on_site", "system"]
    assert first.default_ratio == Decimal(5)
    assert first.get_methods_display() == "现场检查、信息系统核查"
    assert first.effective_from == dt.date(2020, 1, 1)  # model default for an absent column
    second = CheckItem.objects.get(code="LS-02")
    assert second.methods == ["case_file", "phone"]
    assert second.default_ratio == Decimal("12.5")
    assert second.frequency_per_year == 2
    assert "未变 2" in run("check-items", tmp_path / "c.csv")[1]


def test_check_items_bad_cells(tmp_path):
    rows = [
        CHECK_ITEM_HEADER,
        check_item_row("LS-01", "飞行检查"),
        check_item_row("LS-02", ratio="150%"),
        check_item_row("LS-03", ratio="五"),
        check_item_row("LS-04", freq="0"),
        check_item_row("LS-01"),
    ]
    status, _out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，抽查方式：“飞行检查”不是有效的抽查方式" in err
    assert "第 3 行，抽查比例：比例应在 0% 到 100% 之间" in err
    assert "第 4 行，抽查比例：“五”不是百分比" in err
    assert "第 5 行，抽查频次：不能小于 1" in err
    # Row 2 was itself bad, so row 6 (same code) is not reported as its duplicate.
    assert "第 6 行" not in err
    assert not CheckItem.objects.exists()


def test_numbers_beyond_the_database_range_are_row_errors(tmp_path, jurisdiction):
    """A typo like 100000 次/年 must be a row error, not a database overflow (PostgreSQL's
    smallint) halfway through the import."""
    rows = [[*CHECK_ITEM_HEADER, "排序"], [*check_item_row("LS-01", freq="100000"), "1"]]
    rows.append([*check_item_row("LS-02"), "99999999999"])
    status, _out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，抽查频次：不能大于 32767" in err
    assert "第 3 行，排序：不能大于 2147483647" in err
    assert not CheckItem.objects.exists()


def test_xlsx_boolean_cells(tmp_path):
    """TRUE/FALSE typed in Excel are boolean cells; 重点事项 reads them as 是/否."""
    header = [*CHECK_ITEM_HEADER, "重点事项"]
    rows = [header, [*check_item_row("LS-01"), True], [*check_item_row("LS-02"), False]]
    status, _out, err = run("check-items", write_xlsx(tmp_path / "b.xlsx", rows))
    assert status == 0, err
    assert CheckItem.objects.get(code="LS-01").is_key is True
    assert CheckItem.objects.get(code="LS-02").is_key is False


def test_check_item_ending_before_the_default_start(tmp_path):
    """Same trap as the inspectors: 失效日期 before the default 生效日期 (2020-01-01)."""
    rows = [[*CHECK_ITEM_HEADER, "失效日期"], [*check_item_row("LS-01"), "2019-12-31"]]
    status, _out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，失效日期：" in err
    assert not CheckItem.objects.exists()


# -- conflicts -------------------------------------------------------------------------------------
CONFLICT_HEADER = ["执法证号", "统一社会信用代码", "关系类型", "执业证号", "说明"]


def test_conflict_practitioner_must_work_at_that_institution(tmp_path, jurisdiction):
    inspector = InspectorFactory()
    firm, other = InstitutionFactory(), InstitutionFactory()
    person = PractitionerFactory(institution=firm)
    rows = [
        CONFLICT_HEADER,
        [inspector.certificate_number, firm.credit_code, "近亲属", person.certificate_number, ""],
        [inspector.certificate_number, other.credit_code, "近亲属", person.certificate_number, ""],
    ]
    status, _out, err = run("conflicts", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 3 行，执业证号：该执业人员不在此统一社会信用代码的机构执业" in err
    assert "第 2 行" not in err
    assert not Conflict.objects.exists()


def test_conflict_unknown_references(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    rows = [
        CONFLICT_HEADER,
        ["999999", firm.credit_code, "近亲属", "", ""],
        [InspectorFactory().certificate_number, firm.credit_code, "同学", "000", ""],
    ]
    status, _out, err = run("conflicts", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，执法证号：系统中没有执法证号“999999”" in err
    assert "第 3 行，关系类型：“同学”不是有效的关系类型" in err
    assert "第 3 行，执业证号：系统中没有执业证号“000”" in err


def test_conflicts_reimport_is_idempotent(jurisdiction):
    load_samples()
    for _ in range(2):
        status, out, err = run("conflicts", SAMPLES / "conflicts.csv")
        assert status == 0, err
        assert "共 2 行：新增 0，更新 0，未变 2。" in out
    assert Conflict.objects.count() == 2
    assert Conflict.history.count() == 2


def test_conflict_duplicate_within_the_file(tmp_path, jurisdiction):
    inspector, firm = InspectorFactory(), InstitutionFactory()
    row = [inspector.certificate_number, firm.credit_code, "曾任职", "", ""]
    rows = [CONFLICT_HEADER, row, [*row[:4], "同一关系"]]
    status, _out, err = run("conflicts", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 3 行，执法证号：与第 2 行重复" in err
    assert not Conflict.objects.exists()


def test_conflict_note_updates(tmp_path, jurisdiction):
    load_samples()
    text = (SAMPLES / "conflicts.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "conflicts.csv"
    path.write_text(text.replace("配偶在该所执业", "配偶已离职"), encoding="utf-8")
    status, out, err = run("conflicts", path)
    assert status == 0, err
    assert "更新 1，未变 1" in out
    assert Conflict.objects.get(kind=Conflict.Kind.KINSHIP).note == "配偶已离职"
