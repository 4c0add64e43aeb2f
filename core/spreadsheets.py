"""Cells that a spreadsheet program shows as text and never runs as a formula (CSV/formula
injection): every CSV and xlsx file the product writes goes through here (docs/open-data.md,
docs/import-formats.md §2). JSON, Atom and the pages keep the exact text.

- CSV has no cell types, so a text that begins with a formula trigger (= + - @, tab, CR) gets a
  leading apostrophe, as OWASP recommends; so does a text that already begins with an apostrophe
  followed by a trigger or a second apostrophe, which makes the rule exactly reversible.
- xlsx has types: such a text is written as a text cell with Excel's quote prefix (kept text when
  edited), its characters unchanged; only the reversible case above gets its apostrophe too.
- The import takes one such apostrophe off (`unquote`), so an export imports back unchanged.
"""

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What an xlsx cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE): C0 controls but tab, LF and CR.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
QUOTE = "'"
XLSX_MAX_COLUMN_WIDTH = 60
XLSX_WIDTH_SAMPLE = 1000  # rows looked at to size the columns


def cell_excerpt(value: str, length: int = 40) -> str:
    """A cell's text as quoted back in an error message: a 5000-character cell is not repeated."""
    return value if len(value) <= length else value[:length] + "…"


def _quoted(text: str) -> bool:
    """Whether `text` is a quoted cell: an apostrophe before a trigger or another apostrophe."""
    return text[:1] == QUOTE and (text[1:2] in FORMULA_TRIGGERS or text[1:2] == QUOTE)


def unquote(text: str) -> str:
    """The text a CSV or xlsx cell of an export stands for: one protecting apostrophe removed."""
    return text[1:] if _quoted(text) else text


def csv_cell(value: Any) -> Any:
    """A CSV cell's value: texts that would run as formulae (or read as quoted) are quoted."""
    if isinstance(value, str) and (value[:1] in FORMULA_TRIGGERS or _quoted(value)):
        return QUOTE + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def _xlsx_cell(sheet, value: Any):
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        return WriteOnlyCell(sheet, value=value)
    # Control characters cannot be stored in xlsx at all: shown as U+FFFD instead of failing.
    text = CONTROL_CHARACTERS.sub("\ufffd", value)
    if _quoted(text):
        text = QUOTE + text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # never "f" (formula) nor "e" (an error value such as "#REF!")
    if text[:1] in FORMULA_TRIGGERS or text[:1] == QUOTE:
        cell.quotePrefix = True
    return cell


def _width(value: Any) -> int:
    """Columns a value takes: a Chinese character (three UTF-8 bytes) is two wide."""
    text = "" if value is None else str(value)
    return len(text) + (len(text.encode()) - len(text)) // 2


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "") -> bytes:
    """One sheet: a bold, frozen header row, then `rows`; texts are text cells, never formulae;
    dates and numbers stay dates and numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = list(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "Sheet1")[:31])
    sheet.freeze_panes = "A2"
    sample = [headers, *rows[:XLSX_WIDTH_SAMPLE]]
    for index in range(len(headers)):
        widest = max(_width(row[index]) for row in sample)
        width = min(XLSX_MAX_COLUMN_WIDTH, widest + 2)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
