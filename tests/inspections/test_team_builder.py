"""The draw of tools/verify_draw.py without a database: strata (N8), two stages (N12), teams with
recusal, a load cap, augmenting paths and borrowing (N11, Y3.5), and the verifier. The invariants
are checked over random registries (hypothesis); claims that no assignment exists are checked by
exhaustive search on tiny instances."""

import copy
import functools
import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.verify_draw import (
    ALGORITHM,
    FORMAT,
    STRATA,
    DrawError,
    InfeasibleDraw,
    Ranking,
    TeamBuilder,
    compute_draw,
    key_string,
    sha256,
    stratum_counts,
    verify,
)

SOURCES = [[9319], [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
KEY = key_string(SOURCES)
PROPERTY = settings(max_examples=100, deadline=None)


# -- building documents ---------------------------------------------------------------------------
def target(i: int, tier: str = "normal", jurisdiction: str = "500103") -> dict:
    return {
        "credit_code": f"T{i:03d}",
        "name": f"机构{i}",
        "tier": tier,
        "jurisdiction": jurisdiction,
    }


def inspector(i: int, local: bool = True) -> dict:
    return {
        "certificate": f"{'L' if local else 'B'}{i:03d}",
        "name": f"检查员{i}",
        "jurisdiction": "500103" if local else "500105",
        "local": local,
    }


def document(
    targets: list[dict],
    inspectors: list[dict],
    conflicts: dict[int, set[int]] | None = None,
    *,
    team_size: int = 2,
    ratios: dict[str, str] | None = None,
    minimum_percent: str = "5",
    two_stage: dict | None = None,
    sources: list[list[int]] = SOURCES,
) -> dict:
    entries = [[t, sorted(xs)] for t, xs in sorted((conflicts or {}).items()) if xs]
    return {
        "format": FORMAT,
        "algorithm": ALGORITHM,
        "parameters": {
            "team_size": team_size,
            "ratios": ratios or {"key": "100", "normal": "100", "reduced": "100"},
            "minimum_percent": minimum_percent,
            "two_stage": two_stage,
        },
        # Sources drawn after the announcement and before the execution (tools' timing rules).
        "sources": [
            {"name": f"source {n}", "kind": "other", "date": "2026-04-01", "values": v}
            for n, v in enumerate(sources, 1)
        ],
        "announced_at": "2026-03-30T10:00:00+08:00",
        "executed_at": "2026-04-01T22:00:00+08:00",
        "pools": {
            "targets": {"entries": targets, "sha256": sha256(targets)},
            "inspectors": {"entries": inspectors, "sha256": sha256(inspectors)},
            "conflicts": {"entries": entries, "sha256": sha256(entries)},
        },
    }


def executed(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["result"] = compute_draw(doc)
    return doc


def teams_by_index(doc: dict, result: dict) -> list[tuple[int, list[int]]]:
    """(target pool index, inspector pool indices) per team, in selection order."""
    certificates = {
        x["certificate"]: i for i, x in enumerate(doc["pools"]["inspectors"]["entries"])
    }
    return [
        (s["pool_index"], [certificates[m["certificate"]] for m in team["members"]])
        for s, team in zip(result["selections"], result["teams"], strict=True)
    ]


def builder(targets: int, inspectors: list[dict], conflicts: dict, k: int = 2) -> TeamBuilder:
    selected = [{"pool_index": t, "credit_code": f"T{t:03d}"} for t in range(targets)]
    return TeamBuilder(KEY, selected, inspectors, conflicts, k)


# -- exhaustive search (tiny instances only) -------------------------------------------------------
def assignable(allowed: list[list[int]], k: int, cap: int | None, n: int) -> bool:
    """Can every target t get k distinct inspectors from allowed[t], nobody above `cap` targets
    (None: no cap)? Tries every combination; memoised on the loads so far."""

    @functools.cache
    def search(t: int, loads: tuple[int, ...]) -> bool:
        if t == len(allowed):
            return True
        for team in itertools.combinations(allowed[t], k):
            if cap is not None and any(loads[x] >= cap for x in team):
                continue
            after = list(loads)
            for x in team:
                after[x] += 1
            if search(t + 1, tuple(after)):
                return True
        return False

    return search(0, (0,) * n)


def fully_staffable(allowed: list[list[int]], k: int, cap: int, n: int) -> bool:
    """The same question for instances too large to enumerate, as a maximum flow (source → target:
    k, target → inspector: 1, inspector → sink: cap), found by plain depth-first augmenting paths."""
    teams: list[set[int]] = [set() for _ in allowed]
    load = [0] * n

    def place(t: int, seen: set[int]) -> bool:
        for x in allowed[t]:
            if x in teams[t] or x in seen:
                continue
            seen.add(x)
            if load[x] < cap:
                load[x] += 1
                teams[t].add(x)
                return True
            for u, team in enumerate(teams):
                # u gives x up to t if u can be given someone else.
                if u != t and x in team and place(u, seen):
                    team.discard(x)
                    teams[t].add(x)
                    return True
        return False

    return all(place(t, set()) for t in range(len(allowed)) for _ in range(k))


def allowed_lists(doc: dict, selected: list[int], *, local_only: bool) -> list[list[int]]:
    inspectors = doc["pools"]["inspectors"]["entries"]
    conflicts = {t: set(xs) for t, xs in doc["pools"]["conflicts"]["entries"]}
    return [
        [
            x
            for x, entry in enumerate(inspectors)
            if x not in conflicts.get(t, ()) and (entry["local"] or not local_only)
        ]
        for t in selected
    ]


# -- the independent reading of the count rule (N8) -----------------------------------------------
def expected_counts(sizes: dict[str, int], ratios: dict[str, str], minimum: str) -> dict[str, int]:
    counts = {s: min(sizes[s], math.ceil(Fraction(ratios[s]) * sizes[s] / 100)) for s in STRATA}
    total = sum(sizes.values())
    short = max(0, math.ceil(Fraction(minimum) * total / 100) - sum(counts.values()))
    for s in ("normal", "reduced", "key"):  # the published top-up order
        extra = min(short, sizes[s] - counts[s])
        counts[s] += extra
        short -= extra
    return counts


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


# -- teams -----------------------------------------------------------------------------------------
class TestTeams:
    def test_a_team_is_the_head_of_the_targets_own_ranking(self):
        # N11: inspectors drawn with the same verifiable randomness, under a per-target key.
        doc = document([target(0)], [inspector(i) for i in range(9)], team_size=3)
        team = compute_draw(doc)["teams"][0]
        ranking = Ranking(KEY + "team.T000./", 9)
        assert [m["certificate"] for m in team["members"]] == [
            f"L{ranking[i]:03d}" for i in range(3)
        ]
        assert [s["digest"] for s in team["steps"]] == ranking.digests[:3]
        assert {s["outcome"] for s in team["steps"]} == {"accepted"}

    def test_conflicted_inspectors_are_skipped_and_published(self):
        ranking = Ranking(KEY + "team.T000./", 6)
        first = ranking[0]
        doc = document([target(0)], [inspector(i) for i in range(6)], {0: {first}})
        team = compute_draw(doc)["teams"][0]
        members = [m["certificate"] for m in team["members"]]
        assert f"L{first:03d}" not in members
        assert members == [f"L{ranking[1]:03d}", f"L{ranking[2]:03d}"]
        assert team["steps"][0]["outcome"] == "conflict"
        assert team["excluded_for_conflict"] == [f"L{first:03d}"]

    def test_team_size_below_two_is_refused(self):
        doc = document([target(0)], [inspector(i) for i in range(4)], team_size=1)
        with pytest.raises(DrawError, match="below the minimum of 2"):
            compute_draw(doc)

    def test_the_load_cap_is_respected(self):
        # 12 targets × 2 / 5 inspectors → cap ceil(4.8) + 1 = 6.
        doc = document([target(i) for i in range(12)], [inspector(i) for i in range(5)])
        result = compute_draw(doc)
        assert result["load_cap"] == 6
        assert not result["load_cap_relaxed"]
        loads = {}
        for team in result["teams"]:
            for m in team["members"]:
                loads[m["certificate"]] = loads.get(m["certificate"], 0) + 1
        assert max(loads.values()) <= 6

    def test_a_greedy_dead_end_is_repaired_by_an_augmenting_path(self):
        # Four targets, four local inspectors, teams of two: cap ceil(8/4) + 1 = 3. Pick three
        # targets whose rankings all start with the same two inspectors p, q, and let the fourth be
        # in conflict with everyone else: the greedy pass gives p and q three targets each, and the
        # fourth target is left with nobody under the cap — yet a valid assignment exists.
        codes, first_two = [], None
        for n in itertools.count():
            head = frozenset(Ranking(KEY + f"team.G{n:03d}./", 4)[i] for i in range(2))
            if first_two is None or head == first_two:
                first_two = head
                codes.append(f"G{n:03d}")
            if len(codes) == 3:
                break
        codes.append("Z000")
        p, q = sorted(first_two)
        others = set(range(4)) - {p, q}
        selected = [{"pool_index": t, "credit_code": c} for t, c in enumerate(codes)]
        inspectors = [inspector(i) for i in range(4)]
        conflicts = {3: others}

        greedy = TeamBuilder(KEY, selected, inspectors, conflicts, 2)
        assert greedy.cap == 3
        for t in range(4):
            greedy.greedy(t, 1, ["local"])
        assert greedy.short_targets() == [3]  # the dead end
        assert greedy.teams[3] == []

        full = TeamBuilder(KEY, selected, inspectors, conflicts, 2)
        full.build()
        assert full.short_targets() == []
        assert not full.cap_relaxed
        assert sorted(full.teams[3]) == [p, q]
        assert max(full.load) <= 3
        assert not full.allow_borrow[3]
        for t, team in enumerate(full.teams):
            assert len(set(team)) == 2
            assert not set(team) & conflicts.get(t, set())

    def test_the_same_repair_through_compute_draw(self):
        # Same shape, through the whole draw: find source values whose greedy pass dead-ends.
        targets = [target(i) for i in range(4)]
        inspectors = [inspector(i) for i in range(4)]
        for seed in range(2000):
            doc = document(targets, inspectors, {3: {2, 3}}, sources=[[seed]])
            result = compute_draw(doc)
            order = [s["pool_index"] for s in result["selections"]]
            selected = [{"pool_index": t, "credit_code": f"T{t:03d}"} for t in order]
            greedy = TeamBuilder(result["key"], selected, inspectors, {3: {2, 3}}, 2)
            for t in range(4):
                greedy.greedy(t, 1, ["local"])
            if greedy.short_targets():
                break
        else:
            pytest.fail("no dead-ending instance found")
        assert not result["load_cap_relaxed"]
        for pool_index, members in teams_by_index(doc, result):
            assert len(set(members)) == 2
            if pool_index == 3:
                assert set(members) == {0, 1}
        assert verify(executed(doc)) == []


class TestBorrowing:
    def test_borrowed_only_by_the_target_the_local_pool_cannot_staff(self):
        # N11, Y3.5: T000 is in conflict with two of the three local inspectors.
        doc = document(
            [target(0), target(1)],
            [inspector(0), inspector(1), inspector(2), inspector(0, False), inspector(1, False)],
            {0: {0, 1}},
        )
        result = compute_draw(doc)
        team0, team1 = result["teams"][0], result["teams"][1]
        if result["selections"][0]["credit_code"] != "T000":
            team0, team1 = team1, team0
        assert [m["borrowed"] for m in team0["members"]] == [False, True]
        assert team0["members"][0]["certificate"] == "L002"
        assert team0["members"][1]["certificate"].startswith("B")
        assert not any(m["borrowed"] for m in team1["members"])
        assert {s["phase"] for s in team0["steps"]} == {1, 2}
        assert {s["pool"] for s in team0["steps"] if s["phase"] == 2} == {"borrow"}
        borrow_ranking = Ranking(result["key"] + "borrow.T000./", 2)
        assert team0["members"][1]["certificate"] == f"B{borrow_ranking[0]:03d}"
        assert not result["load_cap_relaxed"]

    def test_no_local_inspectors_at_all(self):
        # Everyone is borrowed, and the load is still spread: cap ceil(2 × 10 / 4) + 1 = 6.
        doc = document([target(i) for i in range(10)], [inspector(i, False) for i in range(4)])
        result = compute_draw(doc)
        assert result["load_cap"] == 6
        assert all(m["borrowed"] for team in result["teams"] for m in team["members"])
        assert verify(executed(doc)) == []

    def test_a_staffed_target_borrows_so_that_a_short_one_keeps_the_cap(self):
        # Locals L0..L3, teams of two, six targets → cap ceil(12/4) + 1 = 4. T0..T4 may only use
        # L0, L1 locally (10 places, 8 under the cap), T5 only L2, L3. T4 — last in line — is in
        # conflict with both neighbours, so it cannot borrow; T0 and T1 can, and doing so frees
        # L0 and L1 for T4. The cap need not be relaxed.
        inspectors = [inspector(i) for i in range(4)] + [inspector(0, False), inspector(1, False)]
        conflicts = {t: {2, 3} for t in range(5)} | {5: {0, 1}}
        conflicts[4] |= {4, 5}
        built = builder(6, inspectors, conflicts)
        built.build()
        assert built.short_targets() == []
        assert not built.cap_relaxed
        assert max(built.load) <= built.cap == 4
        assert sorted(built.teams[4]) == [0, 1]
        borrowed = [t for t, team in enumerate(built.teams) if set(team) & {4, 5}]
        assert borrowed and 4 not in borrowed and 5 not in borrowed
        allowed = [[x for x in range(6) if x not in conflicts[t]] for t in range(6)]
        assert assignable(allowed, 2, 4, 6)


class TestCapRelaxation:
    def test_relaxed_only_when_no_assignment_keeps_the_cap(self):
        # Six targets that may only use L0 and L1 need 12 places; the cap ceil(12/4) + 1 = 4
        # allows 8, and there is nobody to borrow: the cap is relaxed, and published so.
        conflicts = {t: {2, 3} for t in range(6)}
        doc = document([target(i) for i in range(6)], [inspector(i) for i in range(4)], conflicts)
        result = compute_draw(doc)
        assert result["load_cap"] == 4
        assert result["load_cap_relaxed"] is True
        for _pool_index, members in teams_by_index(doc, result):
            assert sorted(members) == [0, 1]
        allowed = allowed_lists(doc, list(range(6)), local_only=False)
        assert not assignable(allowed, 2, 4, 4)
        assert assignable(allowed, 2, None, 4)
        assert verify(executed(doc)) == []

    def test_relaxed_steps_are_published_as_phase_three(self):
        conflicts = {t: {2, 3} for t in range(6)}
        doc = document([target(i) for i in range(6)], [inspector(i) for i in range(4)], conflicts)
        result = compute_draw(doc)
        assert any(s["phase"] == 3 for team in result["teams"] for s in team["steps"])


class TestInfeasible:
    def test_the_report_names_every_target_that_cannot_be_staffed_and_why(self):
        targets = [target(i) for i in range(4)]
        inspectors = [inspector(i) for i in range(3)] + [inspector(0, False)]
        doc = document(targets, inspectors, {1: {0, 1, 2}, 3: {0, 1, 3}}, team_size=2)
        with pytest.raises(InfeasibleDraw) as caught:
            compute_draw(doc)
        named = {s["credit_code"]: s for s in caught.value.shortages}
        assert set(named) == {"T001", "T003"}
        assert named["T001"]["eligible"] == 4
        assert named["T001"]["conflicted"] == 3
        assert named["T001"]["assigned"] == 1
        assert "T001" in str(caught.value) and "T003" in str(caught.value)
        assert "3 recused for conflicts of interest, 1 available; a team needs 2" in str(
            caught.value
        )

    def test_no_inspectors_at_all(self):
        with pytest.raises(InfeasibleDraw, match="T000: 0 eligible inspectors"):
            compute_draw(document([target(0)], []))


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


# -- properties over random registries -------------------------------------------------------------
JURISDICTIONS = ["500103", "500104", "500105"]
PERCENTS = st.sampled_from(["0", "2", "5", "12.5", "20", "50", "100"])


@st.composite
def registries(draw, *, max_targets: int = 30, max_local: int = 8, max_borrow: int = 5):
    n_targets = draw(st.integers(1, max_targets))
    targets = [
        target(i, draw(st.sampled_from(STRATA)), draw(st.sampled_from(JURISDICTIONS)))
        for i in range(n_targets)
    ]
    inspectors = [inspector(i) for i in range(draw(st.integers(0, max_local)))]
    inspectors += [inspector(i, False) for i in range(draw(st.integers(0, max_borrow)))]
    density = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6]))
    conflicts: dict[int, set[int]] = {}
    if inspectors and density:
        pairs = st.tuples(st.integers(0, n_targets - 1), st.integers(0, len(inspectors) - 1))
        for t, x in draw(st.lists(pairs, max_size=int(density * n_targets * len(inspectors)))):
            conflicts.setdefault(t, set()).add(x)
    codes = sorted({t["jurisdiction"] for t in targets})
    two_stage = draw(
        st.none() | st.integers(1, len(codes)).map(lambda n: {"jurisdictions_to_draw": n})
    )
    return document(
        targets,
        inspectors,
        conflicts,
        team_size=draw(st.integers(2, 3)),
        ratios={s: draw(PERCENTS) for s in STRATA},
        two_stage=two_stage,
        sources=draw(
            st.lists(st.lists(st.integers(0, 99), min_size=1, max_size=7), min_size=1, max_size=3)
        ),
    )


@st.composite
def crowded_registries(draw):
    """Every target selected, conflicts shared by groups of targets: the cap binds and borrowing
    matters far more often than with independent conflicts."""
    targets = [target(i) for i in range(draw(st.integers(2, 16)))]
    n_local, n_borrow = draw(st.integers(2, 6)), draw(st.integers(1, 3))
    inspectors = [inspector(i) for i in range(n_local)]
    inspectors += [inspector(i, False) for i in range(n_borrow)]
    profiles = draw(
        st.lists(st.sets(st.integers(0, n_local + n_borrow - 1)), min_size=1, max_size=3)
    )
    return document(
        targets,
        inspectors,
        {t: draw(st.sampled_from(profiles)) for t in range(len(targets))},
        team_size=draw(st.integers(2, 3)),
        sources=[[draw(st.integers(0, 10**6))]],
    )


def selection_only(doc: dict) -> dict:
    """The same draw with plenty of unconflicted inspectors: the selection does not depend on the
    inspector pool, so this shows what was selected when the real draw is infeasible."""
    relaxed = copy.deepcopy(doc)
    inspectors = [inspector(900 + i) for i in range(3)]
    relaxed["pools"]["inspectors"] = {"entries": inspectors, "sha256": sha256(inspectors)}
    relaxed["pools"]["conflicts"] = {"entries": [], "sha256": sha256([])}
    return compute_draw(relaxed)


def check_invariants(doc: dict, result: dict) -> None:
    params = doc["parameters"]
    k = params["team_size"]
    targets = doc["pools"]["targets"]["entries"]
    inspectors = doc["pools"]["inspectors"]["entries"]
    conflicts = {t: set(xs) for t, xs in doc["pools"]["conflicts"]["entries"]}

    # Selection: distinct, in the candidate set, counts per stratum by the N8 rule.
    candidates = list(range(len(targets)))
    if params["two_stage"]:
        drawn = {s["jurisdiction"] for s in result["stages"]["jurisdictions"]["selections"]}
        assert len(drawn) == params["two_stage"]["jurisdictions_to_draw"]
        candidates = [i for i in candidates if targets[i]["jurisdiction"] in drawn]
    picked = [s["pool_index"] for s in result["selections"]]
    assert len(picked) == len(set(picked))
    assert set(picked) <= set(candidates)
    sizes = {s: sum(targets[i]["tier"] == s for i in candidates) for s in STRATA}
    counts = expected_counts(sizes, params["ratios"], params["minimum_percent"])
    assert {s["code"]: s["count"] for s in result["strata"]} == counts
    assert {s["code"]: s["size"] for s in result["strata"]} == sizes
    for s in result["selections"]:
        assert targets[s["pool_index"]]["tier"] == s["stratum"]
    assert len(picked) >= min(len(candidates), math.ceil(len(candidates) * 5 / 100))

    # Teams: k distinct members, nobody conflicted, borrowed exactly when not local.
    loads = [0] * len(inspectors)
    by_certificate = {x["certificate"]: i for i, x in enumerate(inspectors)}
    assert [t["credit_code"] for t in result["teams"]] == [
        s["credit_code"] for s in result["selections"]
    ]
    for pool_index, team in zip(picked, result["teams"], strict=True):
        members = [by_certificate[m["certificate"]] for m in team["members"]]
        assert len(members) == k == len(set(members))
        assert not set(members) & conflicts.get(pool_index, set())
        for x, m in zip(members, team["members"], strict=True):
            assert m["borrowed"] is (not inspectors[x]["local"])
            loads[x] += 1
    n_local = sum(x["local"] for x in inspectors)
    pool_size = n_local or len(inspectors)
    assert result["load_cap"] == math.ceil(k * len(picked) / pool_size) + 1
    if not result["load_cap_relaxed"]:
        assert max(loads, default=0) <= result["load_cap"]


@PROPERTY
@given(doc=registries() | crowded_registries())
def test_invariants_over_random_registries(doc):
    try:
        result = compute_draw(doc)
    except InfeasibleDraw as exc:
        # Without the cap every target is independent: infeasible exactly when some selected
        # target has fewer than team-size inspectors free of conflicts.
        selected = [s["pool_index"] for s in selection_only(doc)["selections"]]
        allowed = allowed_lists(doc, selected, local_only=False)
        k = doc["parameters"]["team_size"]
        short = {f"T{t:03d}" for t, ok in zip(selected, allowed, strict=True) if len(ok) < k}
        assert short
        assert {s["credit_code"] for s in exc.shortages} == short
        return
    check_invariants(doc, result)
    assert compute_draw(copy.deepcopy(doc)) == result
    assert verify({**doc, "result": result}) == []
    # The cap is relaxed, and neighbours borrowed, only when a flow says there was no other way.
    selected = [s["pool_index"] for s in result["selections"]]
    k, cap = doc["parameters"]["team_size"], result["load_cap"]
    n = len(doc["pools"]["inspectors"]["entries"])
    if result["load_cap_relaxed"]:
        assert not fully_staffable(allowed_lists(doc, selected, local_only=False), k, cap, n)
    if any(m["borrowed"] for team in result["teams"] for m in team["members"]):
        assert not fully_staffable(allowed_lists(doc, selected, local_only=True), k, cap, n)


@PROPERTY
@given(doc=registries(max_targets=4, max_local=4, max_borrow=3))
def test_tiny_registries_against_exhaustive_search(doc):
    """Whatever the draw gives up — the whole draw, the cap, or keeping to local inspectors — an
    exhaustive search confirms it had to."""
    doc["parameters"]["ratios"] = dict.fromkeys(STRATA, "100")
    doc["parameters"]["two_stage"] = None
    k = doc["parameters"]["team_size"]
    n = len(doc["pools"]["inspectors"]["entries"])
    try:
        result = compute_draw(doc)
    except InfeasibleDraw:
        selected = [s["pool_index"] for s in selection_only(doc)["selections"]]
        assert not assignable(allowed_lists(doc, selected, local_only=False), k, None, n)
        return
    check_invariants(doc, result)
    selected = [s["pool_index"] for s in result["selections"]]
    cap = result["load_cap"]
    anyone = allowed_lists(doc, selected, local_only=False)
    local = allowed_lists(doc, selected, local_only=True)
    if result["load_cap_relaxed"]:
        assert not assignable(anyone, k, cap, n)
    if any(m["borrowed"] for team in result["teams"] for m in team["members"]):
        assert not assignable(local, k, cap, n)
    # The flow used on larger instances agrees with the exhaustive search.
    assert fully_staffable(anyone, k, cap, n) == assignable(anyone, k, cap, n)
    assert fully_staffable(local, k, cap, n) == assignable(local, k, cap, n)
