"""Hostile and broken files through the import pipeline (issue 12 §6): every one is a clear error
that writes nothing — a one-line message and exit code 1 on the command line, the message on the
admin page — or, when it is a real spreadsheet after all, a clean import. Never a traceback.

xlsx is a zip of XML: entity bombs (billion laughs), zip bombs, a zip of a million entries, a
sheet that claims 16384 columns, corrupt or nested content. CSV: NUL and control characters, a
million columns, a cell beyond the CSV limit. Cells: numbers of 5000 digits, NaN, digits that are
not ASCII. Formula cells: the value Excel saved is imported; a formula without one, or an error
value (#REF!), is a row error (docs/import-formats.md §2). Then hypothesis mutates valid files."""

import csv
import io
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.exceptions import ServiceError
from registry.imports import KINDS, registry_import
from registry.models import Institution
from tests.fuzzing import fuzz_settings
from tests.registry.test_import_command import (
    INSTITUTION_HEADER,
    SAMPLES,
    institution_row,
    run,
    write_csv,
)
from tests.registry.test_import_command import jurisdiction as jurisdiction  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_4 = ["统一社会信用代码", "机构名称", "行业", "辖区代码"]
IMPORT_URL = reverse("admin:registry_institution_spreadsheet_import")


# -- making files ----------------------------------------------------------------------------------
def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes], *, add: dict[str, bytes] | None = None) -> bytes:
    """`data` (a zip) with some members replaced and others added, correctly zipped."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
        for name, content in (add or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: list[str], *, head: str = "", dimension: str = "") -> bytes:
    """A worksheet with `rows` (each the XML of its cells) after a header row of HEADER_4."""
    header = "".join(cell(f"{c}1", h) for c, h in zip("ABCD", HEADER_4, strict=True))
    body = f'<row r="1">{header}</row>' + "".join(
        f'<row r="{n}">{cells}</row>' for n, cells in enumerate(rows, start=2)
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'{head}<worksheet xmlns="{NS}">{dim}<sheetData>{body}</sheetData></worksheet>'.encode()


def row_cells(n: int, name: str | None = None, *, name_xml: str | None = None) -> str:
    values = institution_row(n, name)[:4]
    cells = [cell(f"{c}{n + 1}", v) for c, v in zip("ABCD", values, strict=True)]
    if name_xml is not None:
        cells[1] = name_xml
    return "".join(cells)


def xlsx_with_sheet(sheet: bytes, **replace: bytes) -> bytes:
    return rezip(xlsx_bytes([HEADER_4]), {SHEET: sheet, **replace})


def patch_sizes(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size set to `size` in both its headers (a lie)."""
    buf = bytearray(data)
    name = member.encode()
    for signature, name_len_at, size_at, header in (
        (b"PK\x01\x02", 28, 24, 46),
        (b"PK\x03\x04", 26, 22, 30),
    ):
        for match in re.finditer(re.escape(signature), bytes(buf)):
            i = match.start()
            length = int.from_bytes(buf[i + name_len_at : i + name_len_at + 2], "little")
            if bytes(buf[i + header : i + header + length]) == name:
                buf[i + size_at : i + size_at + 4] = size.to_bytes(4, "little")
    return bytes(buf)


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10)
    )
    + "]>"
)


def refused(tmp_path: Path, data: bytes, message: str, *, kind: str = "institutions") -> str:
    """Imports `data` with the command: exit 1, `message` in a one-line stderr, nothing written."""
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    before = Institution.objects.count(), Institution.history.count()
    status, out, err = run(kind, path)
    assert status == 1, (out, err)
    assert message in err, err
    assert "Traceback" not in err and "Error" not in err, err
    assert (Institution.objects.count(), Institution.history.count()) == before
    return err


def imports(tmp_path: Path, data: bytes, *, name: str = "upload.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    status, out, err = run("institutions", path)
    assert status == 0, err
    return out


# -- xlsx: XML and zip bombs -----------------------------------------------------------------------
def test_billion_laughs_in_the_sheet_is_a_file_error(tmp_path, jurisdiction, staff_client):
    bomb = xlsx_with_sheet(sheet_xml([row_cells(1, name_xml=cell("B2", "&lol9;"))], head=LAUGHS))
    refused(tmp_path, bomb, "不是有效的 .xlsx 工作簿")
    # The admin shows the message; nothing is stored or written.
    upload = SimpleUploadedFile("bomb.xlsx", bomb)
    response = staff_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert "不是有效的 .xlsx 工作簿" in response.content.decode()
    assert not Institution.objects.exists()
    # And the next, good file imports (a retry after the refusal).
    imports(tmp_path, xlsx_bytes([INSTITUTION_HEADER, institution_row(1)]))
    assert Institution.objects.count() == 1


def test_billion_laughs_in_the_shared_strings_is_a_file_error(tmp_path, jurisdiction):
    data = xlsx_bytes([HEADER_4, institution_row(1)[:4]])
    strings = f'<?xml version="1.0"?>{LAUGHS}<sst xmlns="{NS}"><si><t>&lol9;</t></si></sst>'
    content_types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    shared = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    bomb = rezip(
        data,
        {"[Content_Types].xml": content_types.replace(b"</Types>", shared)},
        add={"xl/sharedStrings.xml": strings.encode()},
    )
    refused(tmp_path, bomb, "不是有效的 .xlsx 工作簿")


def test_any_entity_declaration_is_refused_not_only_a_large_one(tmp_path, jurisdiction):
    """defusedxml refuses entity declarations whatever the libexpat of the server (expat before
    2.4.1 has no limit on billion laughs): the stdlib would expand this small one."""
    entity = '<!DOCTYPE x [<!ENTITY n "甲律师事务所">]>'
    data = xlsx_with_sheet(sheet_xml([row_cells(1, name_xml=cell("B2", "&n;"))], head=entity))
    refused(tmp_path, data, "不是有效的 .xlsx 工作簿")


def test_an_external_entity_is_never_read(tmp_path, jurisdiction):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密内容", encoding="utf-8")
    entity = f'<!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
    data = xlsx_with_sheet(sheet_xml([row_cells(1, name_xml=cell("B2", "&s;"))], head=entity))
    err = refused(tmp_path, data, "不是有效的 .xlsx 工作簿")
    assert "机密" not in err


@override_settings(IMPORT_MAX_UNPACKED_BYTES=4 * 2**20)
def test_the_admin_refuses_a_zip_bomb_and_keeps_nothing(staff_client, jurisdiction):
    filler = f'<row r="3">{row_cells(2)}</row>' * 100_000
    sheet = sheet_xml([row_cells(1)]).replace(b"</sheetData>", filler.encode() + b"</sheetData>")
    upload = SimpleUploadedFile("bomb.xlsx", xlsx_with_sheet(sheet))
    response = staff_client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert "解压后超过 4 MB" in response.content.decode()
    assert 'name="token"' not in response.content.decode()
    assert not Institution.objects.exists()


@override_settings(IMPORT_MAX_UNPACKED_BYTES=4 * 2**20)
def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, jurisdiction):
    # 40 MB of one repeated row compresses to some 100 kB.
    filler = f'<row r="3">{row_cells(2)}</row>' * 100_000
    bomb = xlsx_with_sheet(
        sheet_xml([row_cells(1)]).replace(b"</sheetData>", filler.encode() + b"</sheetData>")
    )
    assert len(bomb) < 2**20
    err = refused(tmp_path, bomb, "解压后")
    assert "4 MB" in err


@override_settings(IMPORT_MAX_UNPACKED_BYTES=8 * 2**20)
def test_parts_read_whole_into_memory_get_a_quarter_of_the_limit(tmp_path, jurisdiction):
    """openpyxl streams the sheet but holds the shared strings (and styles …) in memory: 3 MB of
    them is over a quarter of 8 MB, though the file is within the limit."""
    data = xlsx_bytes([HEADER_4, institution_row(1)[:4]])
    strings = f'<sst xmlns="{NS}">' + "<si><t>甲</t></si>" * 150_000 + "</sst>"
    content_types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    shared = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    large = rezip(
        data,
        {"[Content_Types].xml": content_types.replace(b"</Types>", shared)},
        add={"xl/sharedStrings.xml": strings.encode()},
    )
    assert 2 * 2**20 < len(strings.encode()) < 8 * 2**20
    refused(tmp_path, large, "解压后")
    # A sheet of the same size is streamed, and imports.
    filler = "".join(f'<row r="{n}"><c r="E{n}"><v>1</v></c></row>' for n in range(3, 90_000))
    sheet = sheet_xml([row_cells(1)]).replace(b"</sheetData>", filler.encode() + b"</sheetData>")
    assert 2 * 2**20 < len(sheet) < 8 * 2**20
    imports(tmp_path, xlsx_with_sheet(sheet))


def test_a_claimed_size_of_gigabytes_is_refused_at_the_default_limit(tmp_path, jurisdiction):
    data = xlsx_bytes([HEADER_4, institution_row(1)[:4]])
    refused(tmp_path, patch_sizes(data, SHEET, 3 * 2**30), "解压后")


def test_a_zip_that_understates_its_sizes_is_a_file_error(tmp_path, jurisdiction):
    data = xlsx_bytes([HEADER_4] + [institution_row(n)[:4] for n in range(1, 300)])
    refused(tmp_path, patch_sizes(data, SHEET, 1000), "不是有效的 .xlsx 工作簿")
    assert not Institution.objects.exists()


def test_a_zip_of_too_many_entries_is_refused_before_it_is_opened(tmp_path, jurisdiction):
    data = xlsx_bytes([HEADER_4, institution_row(1)[:4]])
    many = rezip(data, {}, add={f"xl/media/{n}.bin": b"" for n in range(12_000)})
    started = time.monotonic()
    refused(tmp_path, many, "文件太多")
    assert time.monotonic() - started < 10


def test_a_sheet_that_claims_16384_columns_reads_only_its_cells(tmp_path, jurisdiction):
    """A dimension of A1:XFD1048576 made openpyxl pad every row to 16,384 cells: 6,000 rows took
    25 s (100 MB of real rows would take hours); a second now."""
    rows = [row_cells(n) for n in range(1, 6001)]
    path = tmp_path / "wide.xlsx"
    path.write_bytes(xlsx_with_sheet(sheet_xml(rows, dimension="A1:XFD1048576")))
    started = time.monotonic()
    status, out, err = run("institutions", path, "--dry-run")
    assert status == 0 and "新增 6000" in out, err
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "make",
    [
        lambda d: rezip(d, {SHEET: d}),  # a zip where the sheet should be
        lambda d: rezip(d, {SHEET: b"<worksheet><sheetData><row><c r='A1'"}),  # cut-off XML
        lambda d: rezip(
            d,
            {
                SHEET: b'<worksheet xmlns="'
                + NS.encode()
                + b'"><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData></worksheet>'
            },
        ),  # no shared string 99
        lambda d: rezip(
            d, {SHEET: "<worksheet>\ud800</worksheet>".encode("utf-8", "surrogatepass")}
        ),
        lambda d: rezip(d, {SHEET: b"<worksheet>&#xD800;</worksheet>"}),
        lambda d: rezip(
            d, {"xl/workbook.xml": b'<workbook xmlns="' + NS.encode() + b'"><sheets/></workbook>'}
        ),
        lambda d: d[: len(d) // 2] + d[-22:],  # the middle missing
        lambda d: d[:-200],
        lambda d: corrupt_member(d, SHEET),
        lambda d: zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),  # .ods
        lambda d: zip_of(
            {"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"}
        ),
        lambda d: zip_of({"institutions.csv": (SAMPLES / "institutions.csv").read_bytes()}),
        lambda d: zip_of({}),
    ],
    ids=[
        "nested-zip",
        "cut-off-xml",
        "missing-shared-string",
        "surrogate-bytes",
        "surrogate-reference",
        "no-worksheet",
        "middle-missing",
        "end-missing",
        "corrupt-deflate",
        "ods",
        "docx",
        "zipped-csv",
        "empty-zip",
    ],
)
def test_broken_and_odd_zips_are_file_errors(tmp_path, jurisdiction, make):
    data = xlsx_bytes([HEADER_4] + [institution_row(n)[:4] for n in range(1, 50)])
    path = tmp_path / "odd.xlsx"
    path.write_bytes(make(data))
    status, _out, err = run("institutions", path)
    assert status == 1, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not Institution.objects.exists()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    data = out.getvalue()
    return data if members else b"PK\x03\x04" + data  # an empty zip starts with its end record


def corrupt_member(data: bytes, member: str) -> bytes:
    """Flips bytes in the middle of `member`'s compressed data (its CRC no longer matches)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    local = data[info.header_offset : info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little")
    start += int.from_bytes(local[28:30], "little")
    middle = start + info.compress_size // 2
    buf = bytearray(data)
    for i in range(middle, middle + 16):
        buf[i] ^= 0x5A
    return bytes(buf)


def test_a_failure_near_the_end_writes_nothing_after_full_batches(
    tmp_path, jurisdiction, monkeypatch
):
    """Batches of good rows were written inside the transaction; a corrupt end rolls them back."""
    monkeypatch.setattr("registry.imports.engine.BATCH_SIZE", 50)
    rows = [HEADER_4] + [institution_row(n)[:4] for n in range(1, 400)]
    sheet = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows))).read(SHEET)
    broken = xlsx_with_sheet(sheet[: int(len(sheet) * 0.9)])  # the XML ends mid-row
    refused(tmp_path, broken, "不是有效的 .xlsx 工作簿")
    csv_path = write_csv(tmp_path / "a.csv", rows)
    csv_path.write_bytes(csv_path.read_bytes() + b"\xff\xfe,\n")  # not UTF-8, after 399 rows
    refused(tmp_path, csv_path.read_bytes(), "不是 UTF-8")
    assert not Institution.objects.exists()
    imports(tmp_path, xlsx_bytes(rows))  # the retry with the good file
    assert Institution.objects.count() == 399


def test_an_xlsx_that_is_a_csv_and_a_csv_that_is_an_xlsx(tmp_path, jurisdiction):
    imports(tmp_path, (SAMPLES / "institutions.csv").read_bytes(), name="renamed.xlsx")
    assert Institution.objects.count() == 4
    data = xlsx_bytes([INSTITUTION_HEADER, institution_row(1, "改名律师事务所")])
    assert "新增 1" in imports(tmp_path, data, name="renamed.csv")


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


# -- fuzzing ---------------------------------------------------------------------------------------
GOOD_CSV = (SAMPLES / "institutions.csv").read_bytes()
GOOD_XLSX = (SAMPLES / "institutions.xlsx").read_bytes()
GOOD_SHEET = zipfile.ZipFile(io.BytesIO(GOOD_XLSX)).read(SHEET)


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Each edit replaces `length` bytes at a relative position with other bytes."""
    for position, length, insert in edits:
        at = position % (len(data) + 1)
        data = data[:at] + insert + data[at + length :]
    return data


edits = st.lists(
    st.tuples(st.integers(0, 2**20), st.integers(0, 8), st.binary(max_size=8)), max_size=6
)


def check_clean(stream: bytes) -> None:
    """A clean success, row errors, or one clear message; never anything else; nothing written
    unless the whole file was good."""
    before = Institution.objects.count(), Institution.history.count()
    try:
        result = registry_import(kind="institutions", stream=io.BytesIO(stream))
    except ServiceError as exc:
        assert str(exc) and "\n" not in str(exc)
        assert (Institution.objects.count(), Institution.history.count()) == before
        return
    if not result.ok:
        assert all(str(e) for e in result.errors)
        assert (Institution.objects.count(), Institution.history.count()) == before


@fuzz_settings(60)
@given(data=st.binary(max_size=2000))
def test_fuzz_random_bytes(jurisdiction, data):
    check_clean(data)
    check_clean(b"PK\x03\x04" + data)  # past the type detection, into the zip reader


@fuzz_settings(60)
@given(changes=edits)
def test_fuzz_mutated_csv(jurisdiction, changes):
    check_clean(mutate(GOOD_CSV, changes))


@fuzz_settings(40)
@given(changes=edits)
def test_fuzz_mutated_xlsx_bytes(jurisdiction, changes):
    check_clean(mutate(GOOD_XLSX, changes))


@fuzz_settings(60)
@given(changes=edits)
def test_fuzz_mutated_xlsx_xml(jurisdiction, changes):
    """The sheet's XML mutated, then zipped correctly: the XML parser and the cell readers."""
    check_clean(rezip(GOOD_XLSX, {SHEET: mutate(GOOD_SHEET, changes)}))


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


# Values that reach the parsers' deeper branches, and anything at all.
cell_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["律师", "500103", "执业", "2026-03-01", "5%", "NaN", "1次/年", "是", "现场检查", "9" * 60]
    ),
    st.from_regex(r"\A[0-9０-９²٣.%eE+\-/年月日次]{0,24}\Z"),
)


@fuzz_settings(25)
@given(kind=st.sampled_from(list(KINDS)), data=st.data())
def test_fuzz_cell_values_of_every_kind(jurisdiction, kind, data):
    """Every column of every KIND, with random values: a row error or an import, never a crash."""
    headers = [c.header for c in KINDS[kind].columns]
    rows = [data.draw(st.lists(cell_values, min_size=len(headers), max_size=len(headers)))]
    model = KINDS[kind].model
    before = model.objects.count()
    try:
        result = registry_import(kind=kind, stream=io.BytesIO(csv_bytes([headers, *rows])))
    except ServiceError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.ok or model.objects.count() == before


def test_odd_header_names_are_echoed_short_and_visible(tmp_path, jurisdiction):
    header = [*HEADER_4, "备注\x01", "列" * 5000]
    data = write_csv(tmp_path / "h.csv", [header, institution_row(1)[:4] + ["", ""]])
    out = imports(tmp_path, data.read_bytes(), name="h.csv")
    ignored = out.splitlines()[0]
    assert "\x01" not in ignored and len(ignored) < 200, ignored[:200]
