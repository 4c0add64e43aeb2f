"""Hostile cells through the import pipeline (issue 12 §6, docs/import-formats.md §2), each a row
error or a clear message that writes nothing, never a traceback. Formula cells: the value Excel
saved is imported; a formula without one, or an error value (#REF!), is a row error. CSV: NUL and
control characters, a million columns, a cell beyond the CSV limit. Cells: numbers of 5000
digits, NaN, digits that are not ASCII. Header names are echoed back short and visible."""

import time

import pytest

from registry.models import Institution
from tests.registry.hostile_files import (
    HEADER_4,
    imports,
    refused,
    row_cells,
    sheet_xml,
    xlsx_with_sheet,
)
from tests.registry.import_files import INSTITUTION_HEADER, institution_row, run, write_csv

pytestmark = pytest.mark.django_db


# -- formula cells ---------------------------------------------------------------------------------
def test_a_formula_cell_imports_the_value_excel_saved(tmp_path, jurisdiction):
    formula = '<c r="B2" t="str"><f>"甲"&amp;"律师事务所"</f><v>甲律师事务所</v></c>'
    imports(tmp_path, xlsx_with_sheet(sheet_xml([row_cells(1, name_xml=formula)])))
    assert Institution.objects.get().name == "甲律师事务所"


@pytest.mark.parametrize(
    ("name_xml", "message"),
    [
        ('<c r="B2"><f>A1&amp;"所"</f></c>', "公式没有保存的计算结果"),
        ('<c r="B2" t="str"><f>A1&amp;"所"</f></c>', "公式没有保存的计算结果"),
        ('<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>', "Excel 错误值 #DIV/0!"),
        ('<c r="B2" t="e"><v>#REF!</v></c>', "Excel 错误值 #REF!"),
    ],
    ids=["no-value", "no-text-value", "div-by-zero", "ref"],
)
def test_a_formula_without_a_value_or_an_error_value_is_a_row_error(
    tmp_path, jurisdiction, name_xml, message
):
    rows = [row_cells(1), row_cells(2, name_xml=name_xml.replace("B2", "B3"))]
    err = refused(tmp_path, xlsx_with_sheet(sheet_xml(rows)), message)
    assert "第 3 行，机构名称：" in err


def test_a_formula_in_an_ignored_column_does_not_matter(tmp_path, jurisdiction):
    extra = '<c r="E2"><f>NOW()</f></c>'
    data = xlsx_with_sheet(sheet_xml([row_cells(1) + extra]))
    imports(tmp_path, data)
    assert Institution.objects.count() == 1


# -- CSV -------------------------------------------------------------------------------------------
def test_nul_bytes_in_a_csv_are_a_row_error(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER] + [institution_row(n) for n in range(1, 200)]
    rows.append(institution_row(200, "甲\x00律师事务所"))
    data = write_csv(tmp_path / "nul.csv", rows).read_bytes()
    assert data.index(b"\x00") > 4096  # past what the type detection looks at
    err = refused(tmp_path, data, "第 201 行，机构名称：")
    assert "控制字符" in err


@pytest.mark.parametrize("char", ["\x01", "\x08", "\x0b", "\x1b", "\x1f"])
def test_control_characters_in_a_cell_are_a_row_error(tmp_path, jurisdiction, char):
    data = write_csv(tmp_path / "c.csv", [INSTITUTION_HEADER, institution_row(1, f"甲{char}所")])
    refused(tmp_path, data.read_bytes(), "控制字符")


def test_tabs_and_line_breaks_in_a_cell_are_text(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER + ["地址"], institution_row(1, "甲\t律师事务所") + ["一号\r\n二楼"]]
    imports(tmp_path, write_csv(tmp_path / "t.csv", rows).read_bytes(), name="t.csv")
    assert Institution.objects.get().address == "一号\r\n二楼"


def test_a_million_columns_is_a_clear_header_error(tmp_path, jurisdiction):
    header = ",".join(HEADER_4 + ["备注"] * 1_000_000)
    started = time.monotonic()
    err = refused(tmp_path, (header + "\n").encode(), "列")
    assert "最多" in err and len(err) < 500
    assert time.monotonic() - started < 20


def test_a_million_empty_cells_in_a_row_are_ignored(tmp_path, jurisdiction):
    line = ",".join(institution_row(1)[:4]) + "," * 1_000_000
    data = (",".join(HEADER_4) + "\n" + line + "\n").encode()
    imports(tmp_path, data, name="wide.csv")
    assert Institution.objects.count() == 1


def test_a_cell_beyond_the_csv_limit_is_a_chinese_message(tmp_path, jurisdiction):
    data = (",".join(HEADER_4) + '\n"' + "律" * 200_000 + '",律师,500103,x\n').encode()
    err = refused(tmp_path, data, "第 2 行")
    assert "limit" not in err and "131072" in err


# -- cells -----------------------------------------------------------------------------------------
def test_numbers_no_python_int_takes_are_row_errors(tmp_path, jurisdiction):
    rows = [INSTITUTION_HEADER + ["规模"], institution_row(1) + ["9" * 5000]]
    err = refused(tmp_path, write_csv(tmp_path / "n.csv", rows).read_bytes(), "第 2 行，规模：")
    assert len(err) < 300


@pytest.mark.parametrize("ratio", ["NaN", "sNaN", "-NaN", "Infinity", "1e999999999"])
def test_percentages_that_are_not_numbers_are_row_errors(tmp_path, ratio):
    header = ["事项编码", "行业", "事项名称", "抽查内容", "抽查依据", "抽查主体", "抽查方式"]
    row = ["LS-9", "律师", "名称", "内容", "依据", "主体", "现场检查"]
    data = write_csv(tmp_path / "i.csv", [header + ["抽查比例", "抽查频次"], row + [ratio, "1"]])
    refused(tmp_path, data.read_bytes(), "第 2 行，抽查比例：", kind="check-items")


def test_a_percentage_is_kept_as_stored_so_a_reimport_changes_nothing(tmp_path):
    header = ["事项编码", "行业", "事项名称", "抽查内容", "抽查依据", "抽查主体", "抽查方式"]
    row = ["LS-9", "律师", "名称", "内容", "依据", "主体", "现场检查"]
    path = write_csv(tmp_path / "i.csv", [header + ["抽查比例", "抽查频次"], row + ["5.555%", "1"]])
    assert run("check-items", path)[0] == 0
    status, out, _err = run("check-items", path)
    assert status == 0 and "未变 1" in out, out


@pytest.mark.parametrize(
    "id_number",
    ["50010319800101²²²X", "５００１０３１９８００１０１００１X", "٥٠٠١٠٣١٩٨٠٠١٠١٠٠١X"],
    ids=["superscript", "full-width", "arabic-indic"],
)
def test_id_numbers_of_non_ascii_digits_are_row_errors(tmp_path, jurisdiction, id_number):
    run("institutions", write_csv(tmp_path / "a.csv", [INSTITUTION_HEADER, institution_row(1)]))
    header = ["执业证号", "姓名", "统一社会信用代码", "身份证号"]
    data = write_csv(tmp_path / "p.csv", [header, ["1500", "李", institution_row(1)[0], id_number]])
    refused(tmp_path, data.read_bytes(), "第 2 行，身份证号：", kind="practitioners")


def test_a_file_of_errors_only_keeps_the_first_ten_thousand(tmp_path, jurisdiction):
    """30,000 bad rows: the first 10,000 errors are listed, then a line says checking stopped."""
    lines = [",".join(HEADER_4)] + ["x,,律所,1"] * 30_000
    err = refused(tmp_path, "\n".join(lines).encode(), "错误超过 10000 处")
    assert len(err.splitlines()) < 10_010


def test_odd_header_names_are_echoed_short_and_visible(tmp_path, jurisdiction):
    header = [*HEADER_4, "备注\x01", "列" * 5000]
    data = write_csv(tmp_path / "h.csv", [header, institution_row(1)[:4] + ["", ""]])
    out = imports(tmp_path, data.read_bytes(), name="h.csv")
    ignored = out.splitlines()[0]
    assert "\x01" not in ignored and len(ignored) < 200, ignored[:200]
