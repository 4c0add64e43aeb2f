"""Streaming readers for the bureau's spreadsheets: .xlsx and UTF-8 .csv (with or without BOM).

The file type is decided by content, never by name. Rows come out as (row_number, cells) where the
header is row 1, as the spreadsheet shows it.
"""

import codecs
import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO

from django.utils.translation import gettext as _

from core.exceptions import ServiceError

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc


def sniff(head: bytes) -> str:
    """'xlsx' or 'csv' from the first bytes, or a clear error."""
    if not head:
        raise ServiceError(_("文件为空。"))
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        raise ServiceError(
            _("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 UTF-8 编码的 .csv。")
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


def _csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in row]
    except UnicodeDecodeError as exc:
        raise ServiceError(
            _("第 %(row)s 行附近的内容不是 UTF-8 编码：请将文件另存为“CSV UTF-8”。")
            % {"row": number + 1}
        ) from exc
    except csv.Error as exc:
        raise ServiceError(
            _("第 %(row)s 行无法按 CSV 解析：%(err)s") % {"row": number + 1, "err": exc}
        ) from exc


def _xlsx_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ServiceError(_("文件不是有效的 .xlsx 工作簿（可能已损坏）。")) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, [_cell_text(c.value, c.number_format) for c in row]
    except (SyntaxError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # The sheet's XML is cut off or a member is corrupt (ElementTree's and lxml's parse errors
        # are SyntaxErrors): found only while reading, after the workbook opened.
        raise ServiceError(_("文件不是有效的 .xlsx 工作簿（可能已损坏）。")) from exc
    finally:
        workbook.close()


def read_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """Rows of the first sheet (xlsx) or of the CSV, header first."""
    head = stream.read(4096)
    stream.seek(0)
    kind = sniff(head)
    return _xlsx_rows(stream) if kind == "xlsx" else _csv_rows(stream)
