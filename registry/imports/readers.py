"""Streaming readers for the bureau's spreadsheets: .xlsx and UTF-8 .csv (with or without BOM).

The file type is decided by content, never by name. Rows come out as (row_number, cells) where the
header is row 1, as the spreadsheet shows it.

Files are untrusted (issue 12 §6). An .xlsx is a zip of XML: its central directory and what its
entries would unpack to are checked before anything is unpacked; entity declarations are refused
(openpyxl parses through defusedxml when it is installed, as pyproject.toml makes sure); data rows
are read only as wide as the header, whatever size the sheet claims; and whatever else openpyxl
raises on a broken file is one clear message. A cell that has no usable value — an Excel error
value, a formula without a saved result — comes out as a CellProblem, which the engine reports as a
row error (docs/import-formats.md §2). CSV rows are cut at MAX_COLUMNS cells.
"""

import codecs
import csv
import datetime as dt
import io
import logging
import re
import struct
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from itertools import zip_longest
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ServiceError

logger = logging.getLogger(__name__)

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc, and password-protected .xlsx
MAX_COLUMNS = 1000  # of a header; every KIND has 13 columns or fewer
ZIP_MAX_ENTRIES = 10_000  # an .xlsx from Excel has a dozen; zipfile makes an object of each
ZIP_MAX_DIRECTORY_BYTES = 4 * 2**20
ZIP_END = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END = b"PK\x06\x06"
WORKSHEETS = "xl/worksheets/"
FORMULA_TAG = re.compile(rb"[<:]f[\s>/]")  # <f>, <f t="shared" …/>, <x:f>
SCAN_CHUNK = 2**20


class CellProblem(str):
    """A cell the reader could not turn into a value; the text is what the cell showed (so the row
    is not blank), `message` the reason the engine reports for its row and column."""

    message: str

    def __new__(cls, shown: str, message: str) -> "CellProblem":
        cell = super().__new__(cls, shown or "?")
        cell.message = message
        return cell


def _invalid_xlsx() -> ServiceError:
    return ServiceError(_("文件不是有效的 .xlsx 工作簿（可能已损坏）。"))


def sniff(head: bytes) -> str:
    """'xlsx' or 'csv' from the first bytes, or a clear error."""
    if not head:
        raise ServiceError(_("文件为空。"))
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        raise ServiceError(
            _(
                "不支持旧版 .xls 文件（设置了打开密码的工作簿也是这种格式）：请在 Excel 中另存为 .xlsx 或 UTF-8 编码的 .csv。"
            )
        )
    if b"\x00" in head:
        raise ServiceError(_("无法识别的文件类型：请上传 .xlsx 文件或 UTF-8 编码的 .csv 文件。"))
    try:
        # The head may end inside a multi-byte character: decode incrementally.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise ServiceError(
            _(
                "文件不是 UTF-8 编码的 CSV（可能是 GBK 编码）：请在 Excel 中另存为“CSV UTF-8”或 .xlsx。"
            )
        ) from exc
    return "csv"


def _cell_text(value, number_format: str = "General") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # TRUE / FALSE typed in Excel
        return "是" if value else "否"
    if isinstance(value, int | float) and "%" in number_format:
        # "5%" typed in Excel is stored as 0.05 with a percent format; read what the sheet shows.
        return f"{(Decimal(repr(value)) * 100).normalize():f}%"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_cell(cell, formula=None) -> str:
    """The text of a read-only cell; `formula` is the same cell read with its formula, when the
    sheet has formulae."""
    if cell.data_type == "e":
        return CellProblem(
            str(cell.value),
            _("单元格是 Excel 错误值 %(value)s（公式出错）：请修正公式或改填数值后再导入")
            % {"value": cell.value},
        )
    if cell.value is None and formula is not None and formula.data_type == "f":
        return CellProblem(
            str(formula.value)[:40],
            _(
                "公式没有保存的计算结果（文件可能不是由 Excel 保存的）：请在 Excel 中打开后保存，或把公式粘贴为数值"
            ),
        )
    return _cell_text(cell.value, cell.number_format)


def _csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            # A header wider than MAX_COLUMNS is refused; cells beyond it are never looked at.
            yield number, [cell.strip() for cell in row[: MAX_COLUMNS + 1]]
    except UnicodeDecodeError as exc:
        raise ServiceError(
            _("第 %(row)s 行附近的内容不是 UTF-8 编码：请将文件另存为“CSV UTF-8”。")
            % {"row": number + 1}
        ) from exc
    except csv.Error as exc:
        # The csv module's own messages are English: say what it means.
        raise ServiceError(
            _("第 %(row)s 行无法按 CSV 解析：单元格超过 %(limit)s 个字符，或有不成对的英文双引号。")
            % {"row": number + 1, "limit": csv.field_size_limit()}
        ) from exc


def _zip_directory(stream: BinaryIO) -> tuple[int, int]:
    """(entries, bytes) of the zip's central directory, from its end record — read before
    zipfile, which makes an object of every entry (a 200 MB zip of empty entries took it half a
    minute and 2 GB). zipfile reads the directory by its size in bytes, so both are bounded."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(max(0, size - 22 - 65535))
    tail = stream.read()
    at = tail.rfind(ZIP_END)
    if at < 0 or len(tail) - at < 22:
        raise _invalid_xlsx()
    entries, directory = struct.unpack_from("<HI", tail, at + 10)
    zip64 = at >= 20 and tail[at - 20 : at - 16] == ZIP64_LOCATOR
    if zip64 and (entries == 0xFFFF or directory == 0xFFFFFFFF):
        (offset,) = struct.unpack_from("<Q", tail, at - 12)
        stream.seek(offset)
        record = stream.read(56)
        if record[:4] == ZIP64_END:
            entries, directory = struct.unpack_from("<QQ", record, 32)
    stream.seek(0)
    return entries, directory


def _open_archive(stream: BinaryIO) -> zipfile.ZipFile:
    """The zip, once its directory and what it unpacks to are within bounds: zipfile then stops
    at each entry's stated size (and fails its CRC if the data goes on), so nothing unpacks to more."""
    entries, directory = _zip_directory(stream)
    if entries > ZIP_MAX_ENTRIES or directory > ZIP_MAX_DIRECTORY_BYTES:
        raise ServiceError(
            _("文件不是有效的 .xlsx 工作簿：其中的文件太多（%(n)s 个）。") % {"n": entries}
        )
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _invalid_xlsx() from exc
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        raise ServiceError(
            _("文件不是有效的 .xlsx 工作簿：其中的文件太多（%(n)s 个）。") % {"n": len(infos)}
        )
    limit = settings.IMPORT_MAX_UNPACKED_BYTES
    # openpyxl streams a worksheet but reads every other part (shared strings, styles …) whole
    # into memory, at several times its size: those get a quarter of the limit.
    whole = (i for i in infos if not i.filename.startswith(WORKSHEETS))
    if sum(i.file_size for i in infos) > limit or any(i.file_size > limit // 4 for i in whole):
        raise ServiceError(
            _(
                "工作簿解压后超过 %(mb)s MB 的上限（可能是“压缩炸弹”）：请只保留需要导入的工作表，或改用 UTF-8 编码的 .csv。"
            )
            % {"mb": limit // 2**20}
        )
    return archive


def _has_formulae(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet holds a formula: a byte search, so that files without any (nearly all)
    are parsed once; the others a second time with their formulae."""
    for info in archive.infolist():
        if not info.filename.startswith(WORKSHEETS):
            continue
        with archive.open(info) as member:
            tail = b""
            while chunk := member.read(SCAN_CHUNK):
                if FORMULA_TAG.search(tail + chunk):
                    return True
                tail = chunk[-4:]
    return False


def _first_sheet(workbook):
    if not workbook.worksheets:
        raise ServiceError(_("工作簿中没有工作表。"))
    sheet = workbook.worksheets[0]
    # The rows as they are, not as the sheet's <dimension> claims: "A1:XFD1048576" pads every row
    # to 16,384 cells; too small a claim drops rows.
    sheet.reset_dimensions()
    return sheet


def _sheet_rows(values, formulae) -> Iterator[tuple[int, list[str]]]:
    sheet = _first_sheet(values)
    first = next(sheet.iter_rows(max_row=1), None)
    if first is None:  # an empty sheet
        return
    header = first[: MAX_COLUMNS + 1]
    yield 1, [_xlsx_cell(c) for c in header]
    # Data rows only as wide as the header: cells to its right are never imported.
    width = max(1, max((i + 1 for i, c in enumerate(header) if c.value is not None), default=1))
    rows = sheet.iter_rows(min_row=2, max_col=width)
    if formulae is None:
        for number, row in enumerate(rows, start=2):
            yield number, [_xlsx_cell(c) for c in row]
        return
    with_formulae = _first_sheet(formulae).iter_rows(min_row=2, max_col=width)
    for number, (row, formula_row) in enumerate(zip(rows, with_formulae, strict=True), start=2):
        yield number, [_xlsx_cell(c, f) for c, f in zip_longest(row, formula_row)]


def _xlsx_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    archive = _open_archive(stream)
    workbooks = []
    try:
        formulae = _has_formulae(archive)
        workbooks.append(load_workbook(stream, read_only=True, data_only=True))
        if formulae:
            workbooks.append(load_workbook(stream, read_only=True, data_only=False))
        yield from _sheet_rows(workbooks[0], workbooks[1] if formulae else None)
    except ServiceError:
        raise
    except Exception as exc:
        # A broken or hostile file makes openpyxl, zipfile, zlib or the XML parser raise almost
        # anything (BadZipFile, zlib.error, EOFError, ParseError, defusedxml's EntitiesForbidden,
        # KeyError, IndexError, ValueError, TypeError …): the file is refused, the cause logged.
        logger.info("unreadable .xlsx: %r", exc)
        raise _invalid_xlsx() from exc
    finally:
        for workbook in workbooks:
            workbook.close()
        archive.close()


def read_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """Rows of the first sheet (xlsx) or of the CSV, header first."""
    head = stream.read(4096)
    stream.seek(0)
    kind = sniff(head)
    return _xlsx_rows(stream) if kind == "xlsx" else _csv_rows(stream)
