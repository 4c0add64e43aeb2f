#!/usr/bin/env python3
"""Verify a published "双随机" draw — standard library only, one file anyone can download.

    python verify_draw.py DRAW.json
        Recomputes the whole draw from the published document (pool hashes, key string, strata,
        selections, teams) and prints OK (exit 0) or the first mismatch (exit 1).

    python verify_draw.py rfc3797 --pool N --count K SOURCE [SOURCE ...]
        The bare RFC 3797 selection: each SOURCE is a space-separated list of integers, in the
        announced order; prints the selected 1-based indices, one per line.

The bureau's server computes every draw with this very file (compute_draw), so what a citizen
recomputes is exactly what the bureau computed. The format is described in docs/verify-a-draw.md.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Sequence

FORMAT = "shuangsuiji-draw/1"
ALGORITHM = {
    "name": "RFC 3797",
    "version": "shuangsuiji-rfc3797/1",
    "description": "MD5(c ‖ key ‖ c), c = 2-byte big-endian pick counter; r = digest mod remaining",
}
STRATA = ("key", "normal", "reduced")  # published order of the risk strata (Y3.2, N8)
TOP_UP_ORDER = ("normal", "reduced", "key")  # where picks for the N8 5 % minimum come from
MIN_TEAM = 2  # N11, Y3.3: at least two inspectors


class DrawError(Exception):
    """The inputs cannot give a draw (a clear, human-readable reason)."""


# -- RFC 3797 ------------------------------------------------------------------------------------
def key_string(sources: Sequence[Iterable[int]]) -> str:
    """RFC 3797 §4: per source, its integers sorted ascending, each followed by '.', then '/'."""
    parts = []
    for number, values in enumerate(sources, start=1):
        values = list(values)
        if not values:
            raise DrawError(f"source {number} has no values")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DrawError(f"source {number}: {value!r} is not a non-negative integer")
        parts.append("".join(f"{v}." for v in sorted(values)) + "/")
    return "".join(parts)


def parse_source(text: str) -> list[int]:
    values = []
    for token in text.split():
        # ASCII only: str.isdigit() also accepts "²" (which int() then rejects) and full-width
        # digits, and the key string is ASCII.
        if not (token.isascii() and token.isdigit()):
            raise DrawError(f"{token!r} is not a non-negative integer")
        values.append(int(token))
    return values


class Ranking:
    """The RFC 3797 selection sequence over a pool of n entries under one key, generated lazily:
    ranking[i] is the 0-based pool position of pick i+1. Every pick's digest is kept."""

    def __init__(self, key: str, n: int) -> None:
        self.key = key.encode("ascii")
        self.n = n
        self.order: list[int] = []
        self.digests: list[str] = []
        self._taken: list[int] = []  # sorted positions already picked

    def __len__(self) -> int:
        return self.n

    def _kth_remaining(self, r: int) -> int:
        position = r
        while True:
            skipped = bisect.bisect_right(self._taken, position)
            if r + skipped == position:
                return position
            position = r + skipped

    def _next(self) -> None:
        i = len(self.order)
        if i >= self.n:
            raise IndexError(i)
        if i > 0xFFFF:
            raise DrawError("RFC 3797 allows at most 65,536 picks under one key")
        counter = i.to_bytes(2, "big")
        digest = hashlib.md5(counter + self.key + counter).digest()  # noqa: S324 - fixed public mixing
        r = int.from_bytes(digest, "big") % (self.n - i)
        position = self._kth_remaining(r)
        bisect.insort(self._taken, position)
        self.order.append(position)
        self.digests.append(digest.hex().upper())

    def __getitem__(self, i: int) -> int:
        while len(self.order) <= i:
            self._next()
        return self.order[i]

    def __iter__(self):
        i = 0
        while i < self.n:
            yield self[i]
            i += 1


def rfc3797_select(key: str, pool: int, count: int) -> list[int]:
    """The first `count` selected 1-based indices of a pool of `pool` entries."""
    if count > pool:
        raise DrawError(f"cannot select {count} of {pool}")
    ranking = Ranking(key, pool)
    return [ranking[i] + 1 for i in range(count)]


# -- canonical hashes ----------------------------------------------------------------------------
def canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256(value) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


# -- the draw ------------------------------------------------------------------------------------
def stratum_counts(sizes: dict[str, int], ratios: dict[str, str], minimum_percent: str) -> dict:
    """ceil(ratio × size) per stratum, topped up to ceil(minimum % × pool) (N8)."""
    counts = {s: min(sizes[s], math.ceil(_fraction(ratios[s]) * sizes[s])) for s in STRATA}
    total = sum(sizes.values())
    needed = min(total, math.ceil(_fraction(minimum_percent) * total))
    for stratum in TOP_UP_ORDER:
        extra = min(needed - sum(counts.values()), sizes[stratum] - counts[stratum])
        if extra > 0:
            counts[stratum] += extra
    return counts


def _fraction(percent: str) -> float:
    # Percentages are published as decimal strings ("5", "12.5"); exact enough for ceil of counts
    # below 10^7 entries, and computed identically by the server and by citizens.
    from fractions import Fraction

    return Fraction(percent) / 100


class TeamBuilder:
    """Teams for the selected targets (N11): each ranked by the RFC 3797 sequence under a
    per-target key; conflicted inspectors are skipped, load is spread with a cap, dead ends are
    repaired with augmenting paths, and neighbours' inspectors are borrowed only when needed."""

    def __init__(
        self, key: str, targets: list[dict], inspectors: list[dict], conflicts: dict, team_size: int
    ) -> None:
        self.key = key
        self.targets = targets  # selected targets in selection order: {"pool_index", "credit_code"}
        self.inspectors = inspectors
        self.local = [i for i, x in enumerate(inspectors) if x["local"]]
        self.borrow = [i for i, x in enumerate(inspectors) if not x["local"]]
        self.conflicts = conflicts  # target pool index -> set of inspector indices
        self.k = team_size
        m = len(targets)
        # The load is spread over the local pool; with no local inspector at all, over the
        # neighbours' pool (everyone is borrowed then, and the load must still be spread).
        spread_over = len(self.local) or len(self.borrow)
        self.cap = math.ceil(team_size * m / spread_over) + 1 if spread_over else 0
        self.cap_relaxed = False
        self.teams: list[list[int]] = [[] for _ in targets]
        self.load = [0] * len(inspectors)
        self.allow_borrow = [False] * len(targets)
        self.steps: list[list[dict]] = [[] for _ in targets]
        self._rankings: dict[tuple[int, str], Ranking] = {}

    def ranking(self, t: int, pool: str) -> tuple[Ranking, list[int]]:
        members = self.local if pool == "local" else self.borrow
        cache_key = (t, pool)
        if cache_key not in self._rankings:
            code = self.targets[t]["credit_code"]
            suffix = f"team.{code}./" if pool == "local" else f"borrow.{code}./"
            self._rankings[cache_key] = Ranking(self.key + suffix, len(members))
        return self._rankings[cache_key], members

    def candidates(self, t: int):
        """Inspector indices in t's ranking order: its local ranking, then (when borrowing is
        allowed for t) its neighbour ranking."""
        pools = ["local"] + (["borrow"] if self.allow_borrow[t] else [])
        for pool in pools:
            ranking, members = self.ranking(t, pool)
            for position in ranking:
                yield members[position], pool

    def _usable(self, t: int, x: int) -> bool:
        return (
            x not in self.conflicts.get(self.targets[t]["pool_index"], ())
            and x not in self.teams[t]
        )

    def greedy(self, t: int, phase: int, pools: Sequence[str]) -> None:
        """Walk t's ranking(s) in order and take every usable inspector until the team is full;
        each step is published with its digest and outcome."""
        for pool in pools:
            ranking, members = self.ranking(t, pool)
            i = 0
            while len(self.teams[t]) < self.k and i < len(ranking):
                x = members[ranking[i]]
                if x in self.conflicts.get(self.targets[t]["pool_index"], ()):
                    outcome = "conflict"
                elif x in self.teams[t]:
                    outcome = "already"
                elif self.cap and self.load[x] >= self.cap and not self.cap_relaxed:
                    outcome = "load"
                else:
                    outcome = "accepted"
                    self.teams[t].append(x)
                    self.load[x] += 1
                self.steps[t].append(
                    {
                        "phase": phase,
                        "pool": pool,
                        "pick": i + 1,
                        "digest": ranking.digests[i],
                        "certificate": self.inspectors[x]["certificate"],
                        "outcome": outcome,
                    }
                )
                i += 1

    def augment(self, t: int) -> bool:
        """Find x for t through a chain of swaps (BFS, deterministic order). True when found."""
        parent: dict[
            int, tuple[int | None, int | None]
        ] = {}  # inspector -> (prev inspector, via target)
        queue: list[int] = []
        for x, _pool in self.candidates(t):
            if x not in parent and self._usable(t, x):
                parent[x] = (None, t)
                queue.append(x)
        membership: dict[int, list[int]] = {}
        for u, team in enumerate(self.teams):
            for member in team:
                membership.setdefault(member, []).append(u)
        head = 0
        while head < len(queue):
            x = queue[head]
            head += 1
            if self.load[x] < self.cap:
                self._apply(x, parent)
                return True
            for u in membership.get(x, ()):
                for y, _pool in self.candidates(u):
                    if y not in parent and self._usable(u, y):
                        parent[y] = (x, u)
                        queue.append(y)
        return False

    def _apply(self, y: int, parent) -> None:
        self.load[y] += 1
        while True:
            x, via = parent[y]
            if x is None:
                self.teams[via].append(y)
                return
            # y takes x's place in `via`; x moves one step up the chain (its load is unchanged).
            team = self.teams[via]
            team[team.index(x)] = y
            y = x

    def build(self) -> None:
        """Phase 1: local inspectors under the load cap, dead ends repaired by augmenting paths.
        Phase 2: targets still short may borrow neighbours' inspectors (N11, Y3.5), same cap;
        the repair may also let a staffed target take a neighbour so that its local inspector can
        move to a short target that cannot borrow (e.g. in conflict with every neighbour).
        Phase 3: only if the cap makes a team impossible, it is relaxed (and published so)."""
        for t in range(len(self.targets)):
            self.greedy(t, 1, ["local"])
        self._repair()
        if self.short_targets() and self.borrow:
            for t in self.short_targets():
                self.allow_borrow[t] = True
                self.greedy(t, 2, ["borrow"])
            # Phase 1 was complete for local inspectors under the cap, so the local pool cannot
            # staff every team: from here on any target's swap may go through its neighbour
            # ranking, which makes the repair complete for local and borrowed inspectors alike.
            self.allow_borrow = [True] * len(self.targets)
            self._repair()
        if self.short_targets():
            self.cap_relaxed = True
            for t in self.short_targets():
                self.greedy(t, 3, ["local"] + (["borrow"] if self.borrow else []))

    def _repair(self) -> None:
        for t in range(len(self.targets)):
            while len(self.teams[t]) < self.k and self.cap and self.augment(t):
                pass

    def short_targets(self) -> list[int]:
        return [t for t in range(len(self.targets)) if len(self.teams[t]) < self.k]


def compute_draw(doc: dict) -> dict:
    """Everything that follows from the announced inputs and the source values."""
    params = doc["parameters"]
    team_size = int(params["team_size"])
    if team_size < MIN_TEAM:
        raise DrawError(f"team size {team_size} is below the minimum of {MIN_TEAM} (N11)")
    key = key_string([s["values"] for s in doc["sources"]])
    targets = doc["pools"]["targets"]["entries"]
    inspectors = doc["pools"]["inspectors"]["entries"]
    conflicts = {int(t): set(xs) for t, xs in doc["pools"]["conflicts"]["entries"]}

    candidates = list(range(len(targets)))
    stages = {}
    two_stage = params.get("two_stage")
    if two_stage:  # N12: jurisdictions first, then targets inside the drawn ones
        codes = sorted({targets[i]["jurisdiction"] for i in candidates})
        count = int(two_stage["jurisdictions_to_draw"])
        ranking = Ranking(key + "jurisdictions./", len(codes))
        if count > len(codes):
            raise DrawError(f"cannot draw {count} of {len(codes)} jurisdictions")
        picks = [ranking[i] for i in range(count)]
        drawn = {codes[p] for p in picks}
        stages["jurisdictions"] = {
            "pool": codes,
            "selections": [
                {
                    "pick": i + 1,
                    "digest": ranking.digests[i],
                    "index": p + 1,
                    "jurisdiction": codes[p],
                }
                for i, p in enumerate(picks)
            ],
        }
        candidates = [i for i in candidates if targets[i]["jurisdiction"] in drawn]

    members = {s: [i for i in candidates if targets[i]["tier"] == s] for s in STRATA}
    counts = stratum_counts(
        {s: len(members[s]) for s in STRATA}, params["ratios"], params["minimum_percent"]
    )
    selections, selected = [], []
    for stratum in STRATA:
        ranking = Ranking(key + f"{stratum}./", len(members[stratum]))
        for i in range(counts[stratum]):
            position = ranking[i]
            pool_index = members[stratum][position]
            selections.append(
                {
                    "stratum": stratum,
                    "pick": i + 1,
                    "digest": ranking.digests[i],
                    "remaining": len(members[stratum]) - i,
                    "index": position + 1,
                    "pool_index": pool_index,
                    "credit_code": targets[pool_index]["credit_code"],
                }
            )
            selected.append(
                {"pool_index": pool_index, "credit_code": targets[pool_index]["credit_code"]}
            )

    builder = TeamBuilder(key, selected, inspectors, conflicts, team_size)
    builder.build()
    short = builder.short_targets()
    if short:
        raise InfeasibleDraw([_shortage(builder, t) for t in short])
    teams = []
    for t, target in enumerate(selected):
        teams.append(
            {
                "credit_code": target["credit_code"],
                "members": [
                    {
                        "certificate": inspectors[x]["certificate"],
                        "borrowed": not inspectors[x]["local"],
                    }
                    for x in builder.teams[t]
                ],
                "excluded_for_conflict": sorted(
                    inspectors[x]["certificate"] for x in conflicts.get(target["pool_index"], ())
                ),
                "steps": builder.steps[t],
            }
        )
    return {
        "key": key,
        "stages": stages,
        "strata": [{"code": s, "size": len(members[s]), "count": counts[s]} for s in STRATA],
        "selections": selections,
        "load_cap": builder.cap,
        "load_cap_relaxed": builder.cap_relaxed,
        "teams": teams,
    }


class InfeasibleDraw(DrawError):
    def __init__(self, shortages: list[dict]) -> None:
        self.shortages = shortages
        super().__init__("; ".join(f"{s['credit_code']}: {s['reason']}" for s in shortages))


def _shortage(builder: TeamBuilder, t: int) -> dict:
    target = builder.targets[t]
    conflicted = builder.conflicts.get(target["pool_index"], set())
    available = len(builder.inspectors) - len(conflicted)
    return {
        "credit_code": target["credit_code"],
        "eligible": len(builder.inspectors),
        "conflicted": len(conflicted),
        "assigned": len(builder.teams[t]),
        "reason": (
            f"{len(builder.inspectors)} eligible inspectors (local and neighbouring), "
            f"{len(conflicted)} recused for conflicts of interest, {available} available; "
            f"a team needs {builder.k}"
        ),
    }


# -- verification --------------------------------------------------------------------------------
RESULT_FIELDS = ("key", "stages", "strata", "selections", "load_cap", "load_cap_relaxed", "teams")


def verify(doc: dict) -> list[str]:
    """Mismatches between the document and a recomputation from its own inputs (empty = OK)."""
    if doc.get("format") != FORMAT:
        return [f"unknown format {doc.get('format')!r} (this verifier reads {FORMAT})"]
    if doc.get("algorithm", {}).get("version") != ALGORITHM["version"]:
        return [f"unknown algorithm version {doc.get('algorithm', {}).get('version')!r}"]
    try:
        return _verify(doc)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        # A hand-edited document must give a mismatch line, not a traceback.
        return [f"the document is malformed: {type(exc).__name__}: {exc}"]


def _verify(doc: dict) -> list[str]:
    problems = []
    for name in ("targets", "inspectors", "conflicts"):
        pool = doc["pools"][name]
        if sha256(pool["entries"]) != pool["sha256"]:
            problems.append(
                f"pools.{name}: SHA-256 of the entries is {sha256(pool['entries'])}, "
                f"the document says {pool['sha256']}"
            )
    if problems:
        return problems
    try:
        expected = compute_draw(doc)
    except DrawError as exc:
        return [f"the inputs do not give a draw: {exc}"]
    for name in RESULT_FIELDS:
        mismatch = _first_difference(name, expected[name], doc.get("result", {}).get(name))
        if mismatch:
            return [mismatch]
    return []


def _first_difference(path: str, expected, actual) -> str | None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for name in sorted(set(expected) | set(actual)):
            found = _first_difference(f"{path}.{name}", expected.get(name), actual.get(name))
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            found = _first_difference(f"{path}[{i}]", e, a)
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} entries, the document has {len(actual)}"
        return None
    if expected != actual:
        return f"{path}: recomputed {expected!r}, the document says {actual!r}"
    return None


ANNOUNCED_FIELDS = ("format", "algorithm", "task", "parameters", "missing_source_rule")


def announcement_differences(announced: dict, doc: dict) -> list[str]:
    """What the executed document changed of the announcement saved before the draw: the pools
    (by their hashes), the parameters, the sources and their order (values aside)."""
    for name in ANNOUNCED_FIELDS:
        if announced.get(name) != doc.get(name):
            return [f"{name} differs from the announcement"]
    for name in ("targets", "inspectors", "conflicts"):
        if announced["pools"][name]["sha256"] != sha256(doc["pools"][name]["entries"]):
            return [f"pools.{name} differ from the announcement (SHA-256)"]
    before = [{k: v for k, v in s.items() if k != "values"} for s in announced["sources"]]
    after = [{k: v for k, v in s.items() if k != "values"} for s in doc["sources"]]
    if before != after:
        return ["the sources differ from the announcement"]
    return []


def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "rfc3797":
        parser = argparse.ArgumentParser(prog="verify_draw.py rfc3797")
        parser.add_argument("--pool", type=int, required=True)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("sources", nargs="+")
        args = parser.parse_args(argv[1:])
        try:
            key = key_string([parse_source(s) for s in args.sources])
            for index in rfc3797_select(key, args.pool, args.count):
                print(index)
        except DrawError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    parser = argparse.ArgumentParser(
        prog="verify_draw.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("document", help="the draw's JSON document (/draws/<id>.json)")
    parser.add_argument(
        "--announcement",
        metavar="FILE",
        help="the same document as you saved it when the draw was announced: the inputs must not "
        "have changed since",
    )
    args = parser.parse_args(argv)
    try:
        doc = _load(args.document)
        announced = _load(args.announcement) if args.announcement else None
    except (OSError, ValueError) as exc:
        print(
            f"cannot read {exc.filename if isinstance(exc, OSError) else ''}: {exc}",
            file=sys.stderr,
        )
        return 2
    if not doc.get("result"):
        print("this draw is announced but not executed yet: nothing to verify", file=sys.stderr)
        return 1
    problems = announcement_differences(announced, doc) if announced else []
    problems = problems or verify(doc)
    if problems:
        print("MISMATCH: " + problems[0])
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
