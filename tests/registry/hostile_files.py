"""Hostile and broken files for the import hardening tests (issue 12 §6): xlsx workbooks built
from their XML and zipped again — a sheet of inline cells, shared strings, sizes that lie, a
corrupt member, an entity bomb — and the checks that an import of one is refused, or imports."""

import io
import re
import zipfile
from pathlib import Path

import openpyxl

from registry.models import Institution
from tests.registry.import_files import institution_row, run

SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER_4 = ["统一社会信用代码", "机构名称", "行业", "辖区代码"]


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


def with_shared_strings(data: bytes, strings: str) -> bytes:
    """The xlsx `data` with `strings` as its shared strings part, declared in its content types."""
    content_types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    shared = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    return rezip(
        data,
        {"[Content_Types].xml": content_types.replace(b"</Types>", shared)},
        add={"xl/sharedStrings.xml": strings.encode()},
    )


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
