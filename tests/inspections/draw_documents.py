"""Draw documents for the tests of tools/verify_draw.py without a database: targets, inspectors and
conflicts made into an announced document, executed, and read back as pool indices; and the
exhaustive search (tiny instances) and maximum flow that say whether a team assignment exists."""

import copy
import functools
import itertools

from tools.verify_draw import ALGORITHM, FORMAT, TeamBuilder, compute_draw, key_string, sha256

SOURCES = [[9319], [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
KEY = key_string(SOURCES)


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
