"""`python manage.py import_registry KIND FILE [--dry-run]` (SPEC §1, Y3.2: the registries are kept
in sync with the licensing data): .xlsx and UTF-8 .csv, Chinese headers in any order, all or
nothing with every bad row reported (the header is row 1), updates by natural key, history kept.

Files that are not what they should be: test_import_bad_files.py; each kind's own columns:
test_import_kinds.py."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.core.management.base import CommandError

from registry.models import CheckItem, Conflict, Institution, Method, Practitioner, Sector
from tests.factories import InstitutionFactory, UserFactory
from tests.registry.import_files import (
    INSTITUTION_HEADER,
    SAMPLE_ORDER,
    SAMPLES,
    code,
    institution_row,
    load_samples,
    run,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


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
