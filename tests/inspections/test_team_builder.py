"""The teams of the draw of tools/verify_draw.py, without a database (N11, Y3.5): each target's own
ranking, recusal, a load cap, augmenting paths and borrowing, the cap relaxed only when no
assignment keeps it, and a report of what cannot be staffed. Claims that no assignment exists
are checked by exhaustive search on tiny instances.

Strata, stages and the verifier: test_draw_algorithm.py; invariants over random registries
(hypothesis): test_draw_properties.py."""

import itertools

import pytest

from tests.inspections.draw_documents import (
    KEY,
    allowed_lists,
    assignable,
    builder,
    document,
    executed,
    inspector,
    target,
    teams_by_index,
)
from tools.verify_draw import DrawError, InfeasibleDraw, Ranking, TeamBuilder, compute_draw, verify


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
