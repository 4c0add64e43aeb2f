"""A citizen who saved the announcement can prove the executed draw used the announced inputs: a
forged document that is consistent in itself (pools rewritten and re-hashed, result recomputed)
passes plain verification but not `--announcement`."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inspections.services.draws import draw_document, draw_execute
from tests.inspections.conftest import VALUES, VERIFIER_OK, mismatches
from tools import verify_draw

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "verify_draw.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def save(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_executed_draw_matches_the_saved_announcement(announced, staff_user, tmp_path):
    before = save(tmp_path / "announced.json", draw_document(announced))
    executed = draw_execute(draw=announced, values=VALUES, user=staff_user)
    after = save(tmp_path / "draw.json", draw_document(executed))

    result = run(after, "--announcement", before)
    assert (result.returncode, result.stdout.strip()) == (0, VERIFIER_OK)


def test_a_self_consistent_forgery_is_caught_only_against_the_announcement(
    announced, staff_user, tmp_path
):
    before = save(tmp_path / "announced.json", draw_document(announced))
    doc = draw_document(draw_execute(draw=announced, values=VALUES, user=staff_user))
    # Drop one institution from the pool, re-hash it and recompute everything.
    targets = doc["pools"]["targets"]
    targets["entries"] = targets["entries"][1:]
    targets["sha256"] = verify_draw.sha256(targets["entries"])
    doc["pools"]["conflicts"]["entries"] = []
    doc["pools"]["conflicts"]["sha256"] = verify_draw.sha256([])
    doc["result"] = verify_draw.compute_draw(doc)
    forged = save(tmp_path / "forged.json", doc)

    assert run(forged).stdout.strip() == VERIFIER_OK
    result = run(forged, "--announcement", before)
    assert result.returncode == 1
    assert mismatches(result.stdout) == [
        (
            "不一致：pools.targets 与公告时不同（SHA-256）",
            "MISMATCH: pools.targets differ from the announcement (SHA-256)",
        )
    ]
