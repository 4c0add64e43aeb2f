"""The invariants of the draw of tools/verify_draw.py over random registries (hypothesis): the
selection by the N8 count rule, teams without conflicts under the load cap, borrowing exactly when
not local; the cap relaxed, neighbours borrowed or the draw given up only when a maximum flow (or,
on tiny instances, an exhaustive search) says there was no other way."""

import copy
import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.inspections.draw_documents import (
    allowed_lists,
    assignable,
    document,
    fully_staffable,
    inspector,
    target,
)
from tools.verify_draw import STRATA, InfeasibleDraw, compute_draw, sha256, verify

PROPERTY = settings(max_examples=100, deadline=None)


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
