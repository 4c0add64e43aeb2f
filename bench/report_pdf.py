#!/usr/bin/env python
"""How long the inspection report's PDF takes for a task of N targets — the longest task the
worker runs, which the broker's visibility timeout and the task time limit are chosen from
(docs/deployment.md §13.1, docs/performance.md).

The rows are made up in memory (no database): the real template (inspections/pdf/report.html),
the real HTML building and WeasyPrint call of inspections.services.documents, one target in ten
with a long finding and handling opinion. Prints wall and CPU time and the size; asserts nothing.

    python bench/report_pdf.py [N …]        # default: 200 2002 (2,002: the national-scale draw)
"""

import datetime as dt
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace as Fake

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.utils import translation  # noqa: E402

from inspections.services import documents  # noqa: E402
from tests.inspections.pdf_data import LONG_FINDING  # noqa: E402


def row(number: int) -> dict:
    members = [Fake(inspector=Fake(name="张三")), Fake(inspector=Fake(name="李四"))]
    inspection = Fake(
        institution=Fake(name=f"重庆示例第{number}号律师事务所", credit_code="31500103MD0000000X"),
        members=Fake(all=lambda: members),
    )
    long = number % 10 == 0
    result = Fake(
        inspection=inspection,
        get_category_display=lambda: "未发现违法行为",
        case_number="",
        receiving_authority="",
        evaluation=LONG_FINDING if long else "内部管理制度健全，执业行为规范。",
        handling="责令限期整改。" if long else "",
    )
    return {"result": result, "long": documents._long(result.evaluation, result.handling)}


def context(targets: int) -> dict:
    report = Fake(
        is_approved=True,
        inspected_from=dt.date(2026, 4, 1),
        inspected_to=dt.date(2026, 4, 30),
        target_count=targets,
        drafted_at=None,
        team_approved_at=None,
        approved_at=None,
    )
    paragraphs = documents._paragraphs(
        content=LONG_FINDING, findings=LONG_FINDING, evaluation="总体良好。", handling="无。"
    )
    return {
        "title": "2026 年律师行业第 1 批双随机抽查报告",
        "report": report,
        "paragraphs": paragraphs,
        "task": Fake(sector="律师", get_kind_display=lambda: "双随机抽查"),
        "results": [row(n) for n in range(targets)],
        "drafted_by": "王科员",
        "team_approved_by": "",
        "approved_by": "",
        "reference": "抽查报告 任务编号 1",
    }


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for targets in [int(a) for a in sys.argv[1:]] or [200, 2002]:
        with translation.override("zh-hans"):
            started, cpu = time.perf_counter(), time.process_time()
            source = documents._html("report.html", context(targets), documents._Images(), "ref")
            pdf = documents._pdf(source)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{targets:>6} targets: {wall:6.1f} s, CPU {cpu:6.1f} s, {len(pdf) / 1024:,.0f} KiB")


if __name__ == "__main__":
    main()
