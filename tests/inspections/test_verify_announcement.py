"""A citizen who saved the announcement can prove the executed draw used the announced inputs: a
forged document that is consistent in itself (pools rewritten and re-hashed, result recomputed)
passes plain verification but not `--announcement`."""

import pytest

from inspections.services.draws import draw_document, draw_execute
from tests.inspections.conftest import VALUES, VERIFIER_OK, mismatches
from tests.inspections.draw_checks import run_verifier, write_document
from tools import verify_draw

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


def test_the_executed_draw_matches_the_saved_announcement(announced, staff_user, tmp_path):
    before = write_document(draw_document(announced), tmp_path / "announced.json")
    executed = draw_execute(draw=announced, values=VALUES, user=staff_user)
    after = write_document(draw_document(executed), tmp_path / "draw.json")

    result = run_verifier(after, "--announcement", before)
    assert (result.returncode, result.stdout.strip()) == (0, VERIFIER_OK)


def test_a_self_consistent_forgery_is_caught_only_against_the_announcement(
    announced, staff_user, tmp_path
):
    before = write_document(draw_document(announced), tmp_path / "announced.json")
    doc = draw_document(draw_execute(draw=announced, values=VALUES, user=staff_user))
    # Drop one institution from the pool, re-hash it and recompute everything.
    targets = doc["pools"]["targets"]
    targets["entries"] = targets["entries"][1:]
    targets["sha256"] = verify_draw.sha256(targets["entries"])
    doc["pools"]["conflicts"]["entries"] = []
    doc["pools"]["conflicts"]["sha256"] = verify_draw.sha256([])
    doc["result"] = verify_draw.compute_draw(doc)
    forged = write_document(doc, tmp_path / "forged.json")

    assert run_verifier(forged).stdout.strip() == VERIFIER_OK
    result = run_verifier(forged, "--announcement", before)
    assert result.returncode == 1
    assert mismatches(result.stdout) == [
        (
            "不一致：pools.targets 与公告时不同（SHA-256）",
            "MISMATCH: pools.targets differ from the announcement (SHA-256)",
        )
    ]
