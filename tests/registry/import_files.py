"""Files for the import command's tests (SPEC §1, docs/import-formats.md): the samples of
docs/samples in dependency order, CSV and xlsx files written from rows, an institution row with
valid codes, and the command run for its exit code and output."""

import csv
import io
from pathlib import Path

import openpyxl
from django.core.management import call_command

from registry.models import CheckItem, Conflict, Inspector, Institution, Practitioner
from tests.factories import make_credit_code

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
