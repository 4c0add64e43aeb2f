"""What the draw tests share: the citizen's verifier (tools/verify_draw.py) run as a subprocess
on a saved document, the check that a refused execution saved nothing, a task that inspects every
institution, and what draw_execute did before issue 12 (documents that the verifier and the public
page must see through). Also the three lotteries drawn on the evening of DRAW_DAY."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from inspections.models import Draw, DrawSelection, PlanRound, TeamMember
from inspections.services.draws import draw_inputs
from tests.inspections.conftest import DRAW_DAY, task_approve
from tools import verify_draw as algorithm

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
DAY = DRAW_DAY.isoformat()
# The three lotteries drawn on the evening of DRAW_DAY (a Tuesday).
LOTTERIES = [
    {"name": "福彩3D第2026085期", "kind": "fc3d", "date": DAY},
    {"name": "双色球第2026035期", "kind": "ssq", "date": DAY},
    {"name": "超级大乐透第26035期", "kind": "dlt", "date": DAY},
]
LOTTERY_VALUES = ["6 2 1", "3 9 14 22 27 31 8", "5 12 19 27 33 3 11"]


def run_verifier(path: Path, *args) -> subprocess.CompletedProcess:
    """tools/verify_draw.py run on the document at `path`, with `args` (`--announcement FILE`)."""
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(path), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def write_document(doc: dict, path: Path) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def verify_file(tmp_path: Path, doc: dict, *args: str) -> subprocess.CompletedProcess:
    """`doc` saved as draw.json in `tmp_path`, then the verifier run on it with `args`."""
    return run_verifier(write_document(doc, tmp_path / "draw.json"), *args)


def nothing_saved(draw: Draw) -> None:
    draw.refresh_from_db()
    assert draw.status == Draw.Status.ANNOUNCED
    assert draw.result is None and draw.source_values is None and draw.executed_at is None
    assert not DrawSelection.objects.filter(draw=draw).exists()
    assert not TeamMember.objects.filter(selection__draw=draw).exists()


def all_selected_task(plan, staff_user, leader_user):
    """A task of the first round that inspects every institution (ratio 100 %)."""
    plan_round = PlanRound.objects.get(section__plan=plan, number=1)
    return task_approve(
        plan_round=plan_round, applicant=staff_user, leader=leader_user, ratio_normal=100
    )


def legacy_execute(draw: Draw, values: list[list[int]], at: dt.datetime, user) -> Draw:
    """What draw_execute did before issue 12: compute and store without looking at the clock.
    Below the services the database allows it (it cannot know when a lottery is drawn); the
    verifier and the public page must say what is wrong with it."""
    from inspections.services.draws import _write_rows

    result = algorithm.compute_draw(draw_inputs(draw, values))
    _write_rows(draw, result)
    Draw.objects.filter(pk=draw.pk).update(
        source_values=values, result=result, status="executed", executed_at=at, executed_by=user
    )
    draw.refresh_from_db()
    return draw
