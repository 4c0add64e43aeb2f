"""The data of bench/import_registry.py (docs/performance.md): N law firms and 20·N practitioners
with valid codes (SPEC §7), written as UTF-8 CSV and xlsx in the bureau's columns — a pure
function of N, so files already written are reused."""

import csv
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

from _common import DIVISION, REPO, credit_code

PRACTITIONERS_PER_INSTITUTION = 20

# The headers written out as a bureau's spreadsheet has them, not read from registry.imports:
# the files are the input the importer is measured on.
INSTITUTION_HEADER = [
    "统一社会信用代码",
    "机构名称",
    "行业",
    "辖区代码",
    "执业许可证号",
    "负责人",
    "地址",
    "状态",
    "成立日期",
    "规模",
]
PRACTITIONER_HEADER = ["执业证号", "姓名", "统一社会信用代码", "身份证号", "状态", "联系电话"]


def id_number(serial: int) -> str:
    from registry.validators import id_number_check_char

    birth = dt.date(1960, 1, 1) + dt.timedelta(days=serial % 14_600)
    body = f"{DIVISION}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + id_number_check_char(body)


def institution_rows(n: int) -> Iterator[list]:
    for i in range(1, n + 1):
        founded = dt.date(1995, 1, 1) + dt.timedelta(days=i % 10_000)
        yield [
            credit_code(i),
            f"重庆测试{i}律师事务所",
            "律师",
            DIVISION,
            f"31500{i:010d}",
            f"负责人{i}",
            f"重庆市渝中区测试路{i}号",
            "执业",
            founded,
            PRACTITIONERS_PER_INSTITUTION,
        ]


def practitioner_rows(n: int) -> Iterator[list]:
    for i in range(n):
        serial = i * PRACTITIONERS_PER_INSTITUTION
        code = credit_code(i + 1)
        for j in range(PRACTITIONERS_PER_INSTITUTION):
            p = serial + j + 1
            yield [f"150012{p:011d}", f"律师{p}", code, id_number(p), "执业", f"139{p:08d}"]


def write_csv(path: Path, header: list[str], rows: Iterator[list]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])


def write_xlsx(path: Path, header: list[str], rows: Iterator[list]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)  # dates stay date cells, as in the bureau's spreadsheets
    workbook.save(path)


def generate(
    out: Path, n: int, formats: list[str], regenerate: bool
) -> dict[tuple[str, str], Path]:
    """The files, written unless already there (the data is a pure function of N)."""
    out.mkdir(parents=True, exist_ok=True)
    writers = {"csv": write_csv, "xlsx": write_xlsx}
    files = {}
    for fmt in formats:
        for kind, header, rows in (
            ("institutions", INSTITUTION_HEADER, institution_rows),
            ("practitioners", PRACTITIONER_HEADER, practitioner_rows),
        ):
            path = out / f"{kind}-{n}.{fmt}"
            files[kind, fmt] = path
            if path.exists() and not regenerate:
                print(f"  reusing {path}", flush=True)
                continue
            started = time.perf_counter()
            writers[fmt](path, header, rows(n))
            print(
                f"  wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path} "
                f"({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
    return files
