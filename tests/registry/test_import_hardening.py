"""Hostile and broken files through the import pipeline (issue 12 §6): every one is a clear error
that writes nothing — a one-line message and exit code 1 on the command line, the message on the
admin page — or, when it is a real spreadsheet after all, a clean import. Never a traceback.

xlsx is a zip of XML: entity bombs (billion laughs), zip bombs, a zip of a million entries, a
sheet that claims 16384 columns, corrupt or nested content. Formula cells, CSV and cells:
test_import_hardening_cells.py; hypothesis mutating valid files: test_import_fuzzing.py."""

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from registry.models import Institution
from tests.registry.hostile_files import (
    HEADER_4,
    LAUGHS,
    NS,
    SHEET,
    cell,
    corrupt_member,
    imports,
    patch_sizes,
    refused,
    rezip,
    row_cells,
    sheet_xml,
    with_shared_strings,
    xlsx_bytes,
    xlsx_with_sheet,
    zip_of,
)
from tests.registry.import_files import INSTITUTION_HEADER, SAMPLES, institution_row, run, write_csv

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:registry_institution_spreadsheet_import")


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
    bomb = with_shared_strings(data, strings)
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
    large = with_shared_strings(data, strings)
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
