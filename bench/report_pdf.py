#!/usr/bin/env python
"""How long the inspection report's PDF takes for a task of N targets — the longest task the
worker runs, which the broker's visibility timeout and the task time limit are chosen from
(docs/deployment.md §13.1, docs/performance.md).

The report is made up in memory (no database) as the snapshot an approved report is frozen into
(inspections.services.snapshots.report_snapshot's form), one target in ten with a long finding
and handling opinion; from it the real path of `report_pdf_render`: the source built by
inspections.services.documents (template inspections/pdf/report.html) and the PDF by
inspections.services.pdf.render. Prints wall and CPU time and the size; the time is only
reported, but it exits non-zero when the document is not a PDF or its HTML does not list every
target exactly once.

    python bench/report_pdf.py [N …] [--quick]   # default: 200 2002 (2,002: the national-scale draw)

`--quick` renders one report of 20 targets (a few seconds), with the same output; CI runs it
(tests/test_bench.py) so the benchmark cannot rot.
"""

import argparse
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.utils import translation  # noqa: E402

from inspections.services import documents, snapshots  # noqa: E402
from inspections.services.pdf import render  # noqa: E402
from tests.inspections.pdf_data import LONG_FINDING  # noqa: E402

FULL, QUICK = [200, 2002], [20]
TARGET_NAME = re.compile(r"重庆示例第(\d+)号律师事务所")


def result(number: int) -> dict:
    long = number % 10 == 0
    return {
        "institution": {
            "name": f"重庆示例第{number}号律师事务所",
            "credit_code": "31500103MD0000000X",
            "person_in_charge": "王主任",
            "address": "重庆市渝中区民族路1号",
        },
        "members": ["张三", "李四"],
        "category": "no_violation",
        "category_label": "未发现违法行为",
        "case_number": "",
        "receiving_authority": "",
        "evaluation": LONG_FINDING if long else "内部管理制度健全，执业行为规范。",
        "handling": "责令限期整改。" if long else "",
    }


def snapshot(targets: int) -> dict:
    """An approved report of `targets` results, as report_snapshot freezes it (JSON values)."""
    return {
        "format": snapshots.FORMAT,
        "kind": "report",
        "bureau": settings.BUREAU_NAME,
        "task": {
            "id": 1,
            "name": "2026 年律师行业第 1 批双随机抽查",
            "kind": "random",
            "kind_label": "双随机抽查",
            "sector": "律师",
        },
        "report": {
            "id": 1,
            "is_approved": True,
            "inspected_from": "2026-04-01",
            "inspected_to": "2026-04-30",
            "content": LONG_FINDING,
            "target_count": targets,
            "findings": LONG_FINDING,
            "evaluation": "总体良好。",
            "handling": "无。",
            "drafted_at": "2026-05-06T10:00:00+08:00",
            "team_approved_at": "2026-05-07T10:00:00+08:00",
            "approved_at": "2026-05-08T10:00:00+08:00",
        },
        "drafted_by": "王科员",
        "team_approved_by": "赵组长",
        "approved_by": "钱局长",
        "results": [result(n) for n in range(targets)],
    }


def check(targets: int, html: str, pdf: bytes) -> list[str]:
    failures = [] if pdf.startswith(b"%PDF-") else [f"{targets} targets: not a PDF"]
    listed = Counter(int(n) for n in TARGET_NAME.findall(html))
    if listed != Counter(range(targets)):
        failures.append(
            f"{targets} targets: the HTML lists {sum(listed.values())} rows of "
            f"{len(listed)} distinct targets"
        )
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", type=int, nargs="*", help=f"default {' '.join(map(str, FULL))}")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK[0]} targets, same output (CI runs it)"
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    failures = []
    for targets in args.targets or (QUICK if args.quick else FULL):
        # Official documents are in Chinese whatever the language (documents._render_and_store).
        with translation.override(settings.LANGUAGE_CODE):
            started, cpu = time.perf_counter(), time.process_time()
            source = documents.REPORT.source(snapshot(targets))
            pdf = render(source)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{targets:>6} targets: {wall:6.1f} s, CPU {cpu:6.1f} s, {len(pdf) / 1024:,.0f} KiB")
        failures += check(targets, source.html, pdf)
    if failures:
        sys.exit("check failed: " + "\ncheck failed: ".join(failures))


if __name__ == "__main__":
    main()
