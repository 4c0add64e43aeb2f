"""The draw of tools/verify_draw.py without a database: strata (N8), two stages (N12), the same
inputs giving the same result, and the verifier, which catches every change that matters."""

import copy

import pytest

from tests.inspections.draw_documents import KEY, document, executed, inspector, target
from tools.verify_draw import (
    STRATA,
    DrawError,
    Ranking,
    compute_draw,
    sha256,
    stratum_counts,
    verify,
)


# -- strata and stages ---------------------------------------------------------------------------
class TestStrata:
    def test_ceil_of_ratio_times_size_per_tier(self):
        sizes = {"key": 3, "normal": 41, "reduced": 10}
        counts = stratum_counts(sizes, {"key": "20", "normal": "5", "reduced": "2"}, "5")
        assert counts == {"key": 1, "normal": 3, "reduced": 1}

    def test_topped_up_to_five_percent_of_the_pool_from_normal_first(self):
        sizes = {"key": 2, "normal": 60, "reduced": 38}
        counts = stratum_counts(sizes, {"key": "0", "normal": "0", "reduced": "0"}, "5")
        assert counts == {"key": 0, "normal": 5, "reduced": 0}

    def test_top_up_spills_into_the_next_tier_when_one_is_exhausted(self):
        sizes = {"key": 10, "normal": 1, "reduced": 1}
        counts = stratum_counts(sizes, {"key": "0", "normal": "0", "reduced": "0"}, "50")
        assert counts == {"key": 4, "normal": 1, "reduced": 1}

    def test_never_more_than_the_stratum(self):
        sizes = {"key": 2, "normal": 0, "reduced": 0}
        assert stratum_counts(sizes, {"key": "100", "normal": "5", "reduced": "2"}, "5") == {
            "key": 2,
            "normal": 0,
            "reduced": 0,
        }

    def test_decimal_ratios(self):
        sizes = {"key": 0, "normal": 8, "reduced": 0}
        # 12.5 % of 8 is exactly 1: no rounding up from a binary fraction.
        assert stratum_counts(sizes, {"key": "0", "normal": "12.5", "reduced": "0"}, "0") == {
            "key": 0,
            "normal": 1,
            "reduced": 0,
        }

    def test_each_stratum_is_drawn_under_its_own_key_suffix(self):
        targets = [target(i, tier) for i, tier in enumerate(["key"] * 5 + ["normal"] * 7)]
        doc = document(
            targets,
            [inspector(i) for i in range(4)],
            ratios={"key": "40", "normal": "30", "reduced": "0"},
        )
        result = compute_draw(doc)
        for stratum, size in (("key", 5), ("normal", 7)):
            picks = [s for s in result["selections"] if s["stratum"] == stratum]
            ranking = Ranking(KEY + f"{stratum}./", size)
            assert [s["index"] - 1 for s in picks] == [ranking[i] for i in range(len(picks))]
            assert [s["digest"] for s in picks] == ranking.digests[: len(picks)]
        assert [s["stratum"] for s in result["selections"]] == ["key"] * 2 + ["normal"] * 3


class TestTwoStage:
    def doc(self, to_draw: int) -> dict:
        codes = ["500103", "500104", "500105", "500106"]
        targets = [target(i, "normal", codes[i % 4]) for i in range(40)]
        return document(
            targets,
            [inspector(i) for i in range(6)],
            ratios={"key": "20", "normal": "10", "reduced": "2"},
            two_stage={"jurisdictions_to_draw": to_draw},
        )

    def test_targets_only_from_the_drawn_jurisdictions(self):
        doc = self.doc(2)
        result = compute_draw(doc)
        stage = result["stages"]["jurisdictions"]
        assert stage["pool"] == ["500103", "500104", "500105", "500106"]
        ranking = Ranking(KEY + "jurisdictions./", 4)
        assert [s["index"] - 1 for s in stage["selections"]] == [ranking[0], ranking[1]]
        drawn = {s["jurisdiction"] for s in stage["selections"]}
        assert len(drawn) == 2
        entries = doc["pools"]["targets"]["entries"]
        assert {entries[s["pool_index"]]["jurisdiction"] for s in result["selections"]} <= drawn
        # The strata are those of the drawn jurisdictions: 20 targets, 10 % → 2.
        assert result["strata"][1] == {"code": "normal", "size": 20, "count": 2}
        assert verify(executed(doc)) == []

    def test_more_jurisdictions_than_exist_is_an_error(self):
        with pytest.raises(DrawError, match="cannot draw 5 of 4 jurisdictions"):
            compute_draw(self.doc(5))

    def test_one_stage_draws_have_no_stages(self):
        doc = self.doc(1)
        doc["parameters"]["two_stage"] = None
        assert compute_draw(doc)["stages"] == {}


class TestDeterminism:
    def test_same_inputs_same_result(self):
        doc = document(
            [target(i, STRATA[i % 3]) for i in range(30)],
            [inspector(i) for i in range(7)] + [inspector(i, False) for i in range(3)],
            {i: {i % 7, (i * 3) % 10} for i in range(30)},
            team_size=3,
            ratios={"key": "30", "normal": "20", "reduced": "10"},
        )
        assert compute_draw(doc) == compute_draw(copy.deepcopy(doc))

    def test_a_different_source_value_gives_a_different_draw(self):
        targets = [target(i) for i in range(30)]
        inspectors = [inspector(i) for i in range(7)]
        ratios = {"key": "30", "normal": "20", "reduced": "10"}
        one = compute_draw(document(targets, inspectors, ratios=ratios, sources=[[1, 2, 3]]))
        two = compute_draw(document(targets, inspectors, ratios=ratios, sources=[[1, 2, 4]]))
        assert one["key"] != two["key"]
        assert one["selections"] != two["selections"]


class TestVerify:
    def doc(self) -> dict:
        return executed(
            document(
                [target(i, STRATA[i % 3]) for i in range(12)],
                [inspector(i) for i in range(5)] + [inspector(0, False)],
                {0: {1}, 4: {2, 3}},
                ratios={"key": "50", "normal": "50", "reduced": "50"},
            )
        )

    def test_an_honest_document_verifies(self):
        assert verify(self.doc()) == []

    @pytest.mark.parametrize(
        ("tamper", "where"),
        [
            (
                lambda d: d["pools"]["targets"]["entries"][0].update(name="别的机构"),
                "pools.targets",
            ),
            (
                lambda d: d["pools"]["inspectors"]["entries"][0].update(local=False),
                "pools.inspectors",
            ),
            (lambda d: d["pools"]["conflicts"]["entries"].pop(), "pools.conflicts"),
            (lambda d: d["sources"][1]["values"].append(0), "key:"),
            (lambda d: d["parameters"].update(team_size=3), "load_cap:"),
            (lambda d: d["parameters"]["ratios"].update(key="100"), "strata[0].count:"),
            (lambda d: d["result"]["selections"].pop(), "selections:"),
            (
                lambda d: d["result"]["teams"][0]["members"].reverse(),
                "teams[0].members[0].certificate:",
            ),
            (lambda d: d["result"].update(load_cap_relaxed=True), "load_cap_relaxed:"),
        ],
    )
    def test_every_change_that_matters_is_caught(self, tamper, where):
        doc = self.doc()
        tamper(doc)
        problems = verify(doc)
        assert len(problems) == 1
        assert problems[0].startswith(where), problems

    def test_a_forged_pool_with_a_recomputed_hash_still_changes_the_result(self):
        doc = self.doc()
        entries = doc["pools"]["targets"]["entries"]
        entries[0]["tier"] = "reduced" if entries[0]["tier"] != "reduced" else "key"
        doc["pools"]["targets"]["sha256"] = sha256(entries)
        assert verify(doc)[0].startswith("strata[")

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda d: d["parameters"].update(team_size="two"),
            lambda d: d["parameters"]["ratios"].update(key="many"),
            lambda d: d.pop("pools"),
            lambda d: d["sources"][0].pop("values"),
        ],
    )
    def test_a_malformed_document_is_a_mismatch_not_a_crash(self, tamper):
        doc = self.doc()
        tamper(doc)
        problems = verify(doc)
        assert len(problems) == 1 and "malformed" in problems[0], problems

    def test_unknown_format_or_version(self):
        doc = self.doc()
        doc["algorithm"] = dict(doc["algorithm"], version="shuangsuiji-rfc3797/2")
        assert "unknown algorithm version" in verify(doc)[0]
        doc["format"] = "other"
        assert "unknown format" in verify(doc)[0]
