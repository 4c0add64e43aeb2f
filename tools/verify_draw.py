#!/usr/bin/env python3
"""Verify a published "双随机" draw — standard library only, one file anyone can download.

    python verify_draw.py DRAW.json [--announcement SAVED.json]
        Checks that every source was drawn after the announcement and before the execution and
        that its numbers obey its kind's rules, then recomputes the whole draw from the published
        document (pool hashes, key string, strata, selections, teams). Prints OK (exit 0) or every
        mismatch found (exit 1); every line in Chinese, then in English.
        检查每个随机源都在公告之后、执行之前产生且数字符合该类随机源的规则，再按公开文件重新计算
        整个抽取。一致输出 OK（退出码 0），否则列出每一处不一致（退出码 1）；每条先中文后英文。

    python verify_draw.py rfc3797 --pool N --count K SOURCE [SOURCE ...]
        The bare RFC 3797 selection: each SOURCE is a space-separated list of integers, in the
        announced order; prints the selected 1-based indices, one per line.

The bureau's server computes every draw with this very file (compute_draw), so what a citizen
recomputes is exactly what the bureau computed. The format is described in docs/verify-a-draw.md.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import hashlib
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from typing import NamedTuple

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
    """The inputs cannot give a draw: a clear reason in Chinese (`zh`) and English (`en`, also
    the exception's text)."""

    def __init__(self, zh: str, en: str | None = None) -> None:
        self.zh, self.en = zh, zh if en is None else en
        super().__init__(self.en)


# -- RFC 3797 ------------------------------------------------------------------------------------
def key_string(sources: Sequence[Iterable[int]]) -> str:
    """RFC 3797 §4: per source, its integers sorted ascending, each followed by '.', then '/'."""
    parts = []
    for number, values in enumerate(sources, start=1):
        values = list(values)
        if not values:
            raise DrawError(f"第 {number} 个随机源没有数值", f"source {number} has no values")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DrawError(
                    f"第 {number} 个随机源：{_show(value)} 不是非负整数",
                    f"source {number}: {_show(value)} is not a non-negative integer",
                )
        parts.append("".join(f"{v}." for v in sorted(values)) + "/")
    return "".join(parts)


def parse_source(text: str) -> list[int]:
    values = []
    for token in text.split():
        # ASCII only: str.isdigit() also accepts "²" (which int() then rejects) and full-width
        # digits, and the key string is ASCII.
        if not (token.isascii() and token.isdigit()):
            raise DrawError(
                f"{_show(token)} 不是非负整数", f"{_show(token)} is not a non-negative integer"
            )
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
            raise DrawError(
                "RFC 3797 在同一关键字符串下最多抽取 65,536 次",
                "RFC 3797 allows at most 65,536 picks under one key",
            )
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
        raise DrawError(f"无法从 {pool} 个中选出 {count} 个", f"cannot select {count} of {pool}")
    ranking = Ranking(key, pool)
    return [ranking[i] + 1 for i in range(count)]


# -- canonical hashes ----------------------------------------------------------------------------
def canonical(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256(value) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


# -- the public randomness sources ----------------------------------------------------------------
# China keeps UTC+8 all year (no daylight saving since 1991): a fixed offset needs no time-zone
# database, which a citizen's Windows Python lacks.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class Group(NamedTuple):
    """Consecutive numbers of one source that share a range (e.g. the six red balls)."""

    zh: str
    en: str
    count: int
    low: int
    high: int
    distinct: bool  # drawn without replacement: no number twice within the group


# Every kind of source a bureau can announce: its numbers in the order the operator publishes
# them (one group after the other), each group's range and whether it repeats, and the time of
# day (Beijing time) the numbers are drawn. The server refuses values that break these rules and
# this verifier checks them in every document; the kinds `other` and `server` are not listed
# (`other` has only its announced count; `server` is the immediate draw's seed, below).
SOURCE_KINDS = {
    "ssq": {
        "zh": "双色球",
        "en": "Double Colour Ball (ssq)",
        "time": "21:15",
        "groups": (
            Group("红球", "red balls", 6, 1, 33, True),
            Group("蓝球", "blue ball", 1, 1, 16, True),
        ),
    },
    "dlt": {
        "zh": "超级大乐透",
        "en": "Super Lotto (dlt)",
        "time": "21:25",
        "groups": (
            Group("前区号码", "front-zone numbers", 5, 1, 35, True),
            Group("后区号码", "back-zone numbers", 2, 1, 12, True),
        ),
    },
    "pl5": {
        "zh": "排列5",
        "en": "Pick 5 (pl5)",
        "time": "21:25",
        "groups": (Group("数字", "digits", 5, 0, 9, False),),
    },
    "fc3d": {
        "zh": "福彩3D",
        "en": "Welfare 3D (fc3d)",
        "time": "21:15",
        "groups": (Group("数字", "digits", 3, 0, 9, False),),
    },
    # The close × 100 (3245.67 points is 324567), from 0.01 to 999,999.99 points.
    "index": {
        "zh": "股票指数收盘点位",
        "en": "stock-index close (index)",
        "time": "15:00",
        "groups": (Group("收盘点位×100", "close × 100", 1, 1, 99_999_999, False),),
    },
}
# The immediate draw's seed (当场抽取): 8 random 32-bit integers from the server. It is not a
# public source, exempt from the timing rules, and only allowed in a draw marked not verifiable.
SERVER_KIND = "server"
SERVER_GROUP = Group("随机整数", "random integers", 8, 0, 2**32 - 1, False)
TIME_FORMAT = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def kind_count(kind: str) -> int | None:
    """How many integers a source of `kind` yields (None: not fixed by the kind)."""
    groups = _groups(kind)
    return sum(g.count for g in groups) if groups else None


def _groups(kind) -> tuple[Group, ...]:
    if kind == SERVER_KIND:
        return (SERVER_GROUP,)
    known = SOURCE_KINDS.get(kind) if isinstance(kind, str) else None
    return known["groups"] if known else ()


class Problem(str):
    """One thing wrong: for people in Chinese (`zh`) and English (`en`, also the string itself,
    as the verifier's messages always were), for programs as a `code` with its `params` (the
    server words its own messages from them)."""

    def __new__(cls, code: str, zh: str, en: str, params: dict | None = None) -> Problem:
        problem = super().__new__(cls, en)
        problem.code, problem.zh, problem.en, problem.params = code, zh, en, params or {}
        return problem

    def __reduce__(self):
        return Problem, (self.code, self.zh, self.en, self.params)


def _show(value) -> str:
    """A value as quoted in a message, shortened: a 4,000-digit number is not worth printing."""
    text = repr(value) if not isinstance(value, int) or isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)})"


def values_problems(kind, values, count=None) -> list[Problem]:
    """Every way `values` break the rules of a source of `kind` (empty: they obey them). `count`
    is the announced count, used for the kinds without a rule of their own (`other`)."""
    groups = _groups(kind)
    expected = sum(g.count for g in groups) if groups else count
    values = list(values)
    problems = []
    for position, value in enumerate(values, start=1):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(
                Problem(
                    "not_integer",
                    f"第 {position} 个数 {_show(value)} 不是非负整数",
                    f"number {position}, {_show(value)}, is not a non-negative integer",
                    {"position": position, "value": value},
                )
            )
    if expected is not None and not isinstance(expected, bool) and len(values) != expected:
        problems.append(
            Problem(
                "count",
                f"应有 {expected} 个数，实际有 {len(values)} 个",
                f"{expected} numbers expected, there are {len(values)}",
                {"expected": expected, "actual": len(values)},
            )
        )
        return problems
    if problems:
        return problems
    start = 0
    for group in groups:
        part = values[start : start + group.count]
        for offset, value in enumerate(part):
            if not group.low <= value <= group.high:
                position = start + offset + 1
                problems.append(
                    Problem(
                        "range",
                        f"第 {position} 个数 {_show(value)} 超出{group.zh}的范围 "
                        f"{group.low}–{group.high}",
                        f"number {position}, {_show(value)}, is outside the range of the "
                        f"{group.en} ({group.low}–{group.high})",
                        {"position": position, "value": value, "group": group},
                    )
                )
        if group.distinct:
            for value in sorted({v for v in part if part.count(v) > 1}):
                problems.append(
                    Problem(
                        "repeat",
                        f"{group.zh}中 {_show(value)} 出现了 {part.count(value)} 次，"
                        f"{group.zh}互不相同",
                        f"{_show(value)} occurs {part.count(value)} times among the "
                        f"{group.en}, which are all different",
                        {"value": value, "group": group, "times": part.count(value)},
                    )
                )
        start += group.count
    return problems


def parse_moment(text) -> dt.datetime:
    """An ISO 8601 timestamp with its UTC offset (as the documents carry them)."""
    if not isinstance(text, str):
        raise ValueError(f"{_show(text)} is not a timestamp")
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment


def source_time(source: dict) -> str | None:
    """The time of day (HH:MM, Beijing time) the source's numbers are drawn: as the document
    states it (`time`, since 2026), else its kind's; None when unknown (`other`)."""
    text = source.get("time")
    if text is None:
        known = (
            SOURCE_KINDS.get(source.get("kind")) if isinstance(source.get("kind"), str) else None
        )
        return known["time"] if known else None
    if not isinstance(text, str) or not TIME_FORMAT.fullmatch(text):
        raise ValueError(f"the time of a source is {_show(text)}, not HH:MM")
    return text


def source_moment(source: dict) -> tuple[dt.date, dt.datetime | None]:
    """The source's date and, when its time is known, the moment its numbers are drawn."""
    text = source["date"]
    # Strictly YYYY-MM-DD: Python 3.11 would also read "2026-W14-2", Python 3.10 would not.
    if not isinstance(text, str) or not DATE_FORMAT.fullmatch(text):
        raise ValueError(f"the date of a source is {_show(text)}, not YYYY-MM-DD")
    day = dt.date.fromisoformat(text)
    time = source_time(source)
    if time is None:
        return day, None
    hour, minute = map(int, time.split(":"))
    return day, dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BEIJING)


def _beijing(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _when(day: dt.date, moment: dt.datetime | None) -> str:
    return _beijing(moment) if moment else day.isoformat()


def timing_problems(
    sources: list[dict], announced_at: dt.datetime, executed_at: dt.datetime | None
) -> list[Problem]:
    """Every source drawn no later than the announcement (its numbers could have been known,
    RFC 3797 §3) or after the execution (they could only have been made up). A source with a
    known time is compared moment to moment, one without (`other`) day to day in Beijing."""
    problems = []
    for number, source in enumerate(sources, start=1):
        if source.get("kind") == SERVER_KIND:
            continue  # the immediate draw's seed: generated at the execution (not verifiable)
        day, moment = source_moment(source)
        name = source.get("name", "")
        base = {"number": number, "name": name, "date": day, "moment": moment}
        known = (
            SOURCE_KINDS.get(source.get("kind")) if isinstance(source.get("kind"), str) else None
        )
        if moment and known and source.get("time") and source["time"] < known["time"]:
            problems.append(
                Problem(
                    "time_early",
                    f"第 {number} 个随机源（{name}）：文件写明 {source['time']} 开奖，"
                    f"早于{known['zh']}的开奖时间 {known['time']}",
                    f"source {number} ({name}): the document says it is drawn at "
                    f"{source['time']}, before the {known['en']} drawing time {known['time']}",
                    {**base, "known": known["time"]},
                )
            )
        announced = announced_at.astimezone(BEIJING)
        if moment is not None and moment <= announced_at:
            problems.append(
                Problem(
                    "before_announcement",
                    f"第 {number} 个随机源（{name}）于 {_beijing(moment)}（北京时间）产生，"
                    f"不晚于公告时间 {_beijing(announced_at)}：公告时其数字可能已经知道",
                    f"source {number} ({name}) is drawn on {_beijing(moment)} (Beijing time), "
                    f"not after the announcement at {_beijing(announced_at)}: its numbers may "
                    f"have been known when the draw was announced",
                    {**base, "announced_at": announced_at},
                )
            )
        elif moment is None and day <= announced.date():
            problems.append(
                Problem(
                    "before_announcement",
                    f"第 {number} 个随机源（{name}）的日期 {day} 不晚于公告日期 "
                    f"{announced.date()}：没有固定开奖时间的随机源须在公告次日或以后产生",
                    f"source {number} ({name}) is dated {day}, not after the announcement's "
                    f"date {announced.date()}: a source without a known drawing time must come "
                    f"from a later day",
                    {**base, "announced_at": announced_at},
                )
            )
        if executed_at is None:
            continue
        executed = executed_at.astimezone(BEIJING)
        if (moment is not None and executed_at < moment) or (
            moment is None and executed.date() < day
        ):
            problems.append(
                Problem(
                    "before_source",
                    f"抽取于 {_beijing(executed_at)}（北京时间）执行，早于第 {number} 个随机源"
                    f"（{name}）产生的时间 {_when(day, moment)}：执行时其数字尚未产生",
                    f"the draw was executed on {_beijing(executed_at)} (Beijing time), before "
                    f"source {number} ({name}) was drawn ({_when(day, moment)}): its numbers "
                    f"did not exist yet",
                    {**base, "executed_at": executed_at},
                )
            )
    return problems


def sources_problems(doc: dict) -> list[Problem]:
    """The sources of an executed document against their kinds' rules and the document's
    announcement and execution times (all problems, not only the first)."""
    problems = []
    sources = doc["sources"]
    verifiable = doc.get("verifiable", True) is not False
    for number, source in enumerate(sources, start=1):
        name = source.get("name", "")
        if source.get("kind") == SERVER_KIND and verifiable:
            problems.append(
                Problem(
                    "server_verifiable",
                    f"第 {number} 个随机源（{name}）由服务器当场生成，文件却标注为可公开验证",
                    f"source {number} ({name}) was generated by the server, yet the document "
                    f"says the draw is publicly verifiable",
                    {"number": number, "name": name},
                )
            )
        for problem in values_problems(source.get("kind"), source["values"], source.get("count")):
            problems.append(
                Problem(
                    problem.code,
                    f"第 {number} 个随机源（{name}）：{problem.zh}",
                    f"source {number} ({name}): {problem.en}",
                    {**problem.params, "number": number, "name": name},
                )
            )
    executed_at = doc.get("executed_at")
    problems += timing_problems(
        sources,
        parse_moment(doc["announced_at"]),
        parse_moment(executed_at) if executed_at is not None else None,
    )
    return problems


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
        raise DrawError(
            f"每组 {team_size} 人，少于最低人数 {MIN_TEAM} 人（N11）",
            f"team size {team_size} is below the minimum of {MIN_TEAM} (N11)",
        )
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
            raise DrawError(
                f"无法从 {len(codes)} 个辖区中抽取 {count} 个",
                f"cannot draw {count} of {len(codes)} jurisdictions",
            )
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
        super().__init__(
            "；".join(f"{s['credit_code']}：{s['reason_zh']}" for s in shortages),
            "; ".join(f"{s['credit_code']}: {s['reason']}" for s in shortages),
        )


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
        "reason_zh": (
            f"可抽取执法人员 {len(builder.inspectors)} 人（含相邻辖区），其中 {len(conflicted)} 人"
            f"因利害关系回避，可用 {available} 人；每组需 {builder.k} 人"
        ),
    }


# -- verification --------------------------------------------------------------------------------
RESULT_FIELDS = ("key", "stages", "strata", "selections", "load_cap", "load_cap_relaxed", "teams")


def verify(doc: dict) -> list[Problem]:
    """Mismatches between the document and its own rules and inputs (empty = OK): every problem
    of the sources (values, timing), else the pool hashes, else the first difference between the
    published result and its recomputation."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        return [
            Problem(
                "format",
                f"未知的文件格式 {_show(found)}（本程序读取 {FORMAT}）",
                f"unknown format {_show(found)} (this verifier reads {FORMAT})",
                {},
            )
        ]
    version = (
        (doc.get("algorithm") or {}).get("version")
        if isinstance(doc.get("algorithm"), dict)
        else None
    )
    if version != ALGORITHM["version"]:
        return [
            Problem(
                "algorithm",
                f"未知的算法版本 {_show(version)}",
                f"unknown algorithm version {_show(version)}",
                {},
            )
        ]
    try:
        return _verify(doc)
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        AttributeError,
        OverflowError,
        RecursionError,
    ) as exc:
        # A hand-edited document must give a mismatch line, not a traceback.
        return [
            Problem(
                "malformed",
                f"文件格式有误：{type(exc).__name__}: {exc}",
                f"the document is malformed: {type(exc).__name__}: {exc}",
                {},
            )
        ]


def _verify(doc: dict) -> list[Problem]:
    problems = sources_problems(doc)
    for name in ("targets", "inspectors", "conflicts"):
        pool = doc["pools"][name]
        if sha256(pool["entries"]) != pool["sha256"]:
            problems.append(
                Problem(
                    "pool",
                    f"pools.{name}：名单的 SHA-256 为 {sha256(pool['entries'])}，"
                    f"文件中写的是 {pool['sha256']}",
                    f"pools.{name}: SHA-256 of the entries is {sha256(pool['entries'])}, "
                    f"the document says {pool['sha256']}",
                    {"pool": name},
                )
            )
    if any(p.code == "pool" for p in problems):
        return problems
    try:
        expected = compute_draw(doc)
    except DrawError as exc:
        return problems + [
            Problem(
                "inputs",
                f"这些输入无法得出抽取结果：{exc.zh}",
                f"the inputs do not give a draw: {exc.en}",
                {},
            )
        ]
    for name in RESULT_FIELDS:
        mismatch = _first_difference(name, expected[name], (doc.get("result") or {}).get(name))
        if mismatch:
            return problems + [mismatch]
    return problems


def _first_difference(path: str, expected, actual) -> Problem | None:
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
            return Problem(
                "result",
                f"{path}：应有 {len(expected)} 项，文件中有 {len(actual)} 项",
                f"{path}: expected {len(expected)} entries, the document has {len(actual)}",
                {"path": path},
            )
        return None
    if expected != actual:
        return Problem(
            "result",
            f"{path}：重新计算得到 {expected!r}，文件中为 {actual!r}",
            f"{path}: recomputed {expected!r}, the document says {actual!r}",
            {"path": path},
        )
    return None


ANNOUNCED_FIELDS = (
    "format",
    "algorithm",
    "task",
    "parameters",
    "missing_source_rule",
    "announced_at",
)


def announcement_differences(announced: dict, doc: dict) -> list[Problem]:
    """What the executed document changed of the announcement saved before the draw: the pools
    (by their hashes), the parameters, the announcement's time, the sources and their order
    (values aside)."""
    for name in ANNOUNCED_FIELDS:
        if announced.get(name) != doc.get(name):
            return [
                Problem(
                    "announcement",
                    f"{name} 与公告时不同",
                    f"{name} differs from the announcement",
                    {"field": name},
                )
            ]
    for name in ("targets", "inspectors", "conflicts"):
        if announced["pools"][name]["sha256"] != sha256(doc["pools"][name]["entries"]):
            return [
                Problem(
                    "announcement",
                    f"pools.{name} 与公告时不同（SHA-256）",
                    f"pools.{name} differ from the announcement (SHA-256)",
                    {"field": f"pools.{name}"},
                )
            ]
    before = [{k: v for k, v in s.items() if k != "values"} for s in announced["sources"]]
    after = [{k: v for k, v in s.items() if k != "values"} for s in doc["sources"]]
    if before != after:
        return [
            Problem(
                "announcement",
                "随机源与公告时不同",
                "the sources differ from the announcement",
                {"field": "sources"},
            )
        ]
    return []


def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# What a verification prints, here and in `manage.py verify_draw`: Chinese, then English.
OK_LINES = (
    "一致：按公开文件重新计算的结果与公布的结果完全相同。",
    "OK: recomputing the draw from the published document gives exactly the published result.",
)


def mismatch_lines(problem: Problem) -> tuple[str, str]:
    return "不一致：" + problem.zh, "MISMATCH: " + problem.en


def say(zh: str, en: str, stream=None) -> None:
    """Every message twice: Chinese first, then English."""
    stream = stream or sys.stdout
    print(zh, file=stream)
    print(en, file=stream)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        say(f"错误：命令行参数有误（{message}）", f"error: {message}", sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "rfc3797":
        parser = _Parser(
            prog="verify_draw.py rfc3797",
            description="RFC 3797 选择 / the bare RFC 3797 selection",
        )
        parser.add_argument("--pool", type=int, required=True, help="名单条数 / pool size")
        parser.add_argument("--count", type=int, required=True, help="抽取个数 / picks")
        parser.add_argument(
            "sources", nargs="+", help="每个随机源的整数，以空格分隔 / each source's integers"
        )
        args = parser.parse_args(argv[1:])
        try:
            key = key_string([parse_source(s) for s in args.sources])
            for index in rfc3797_select(key, args.pool, args.count):
                print(index)
        except DrawError as exc:
            say(f"错误：{exc.zh}", f"error: {exc.en}", sys.stderr)
            return 2
        return 0
    parser = _Parser(
        prog="verify_draw.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "document", help="抽取的公开文件 / the draw's JSON document (/draws/<id>.json)"
    )
    parser.add_argument(
        "--announcement",
        metavar="FILE",
        help="公告时保存的同一文件：输入此后不得改变 / the same document as you saved it when "
        "the draw was announced: the inputs must not have changed since",
    )
    args = parser.parse_args(argv)
    try:
        doc = _load(args.document)
        announced = _load(args.announcement) if args.announcement else None
    except (OSError, ValueError, RecursionError) as exc:
        # RecursionError: JSON nested deeper than the parser goes (no draw document is).
        name = exc.filename if isinstance(exc, OSError) else ""
        say(f"错误：无法读取 {name}：{exc}", f"error: cannot read {name}: {exc}", sys.stderr)
        return 2
    if not isinstance(doc, dict):
        for problem in verify(doc):
            say(*mismatch_lines(problem))
        return 1
    if not doc.get("result"):
        say(
            "该抽取已公告但尚未执行，没有可以核对的结果。",
            "this draw is announced but not executed yet: nothing to verify",
            sys.stderr,
        )
        return 1
    try:
        # `is not None`: an empty saved file ([] or {}) is a bad announcement, not none at all.
        problems = announcement_differences(announced, doc) if announced is not None else []
    except (KeyError, TypeError, AttributeError, RecursionError) as exc:
        problems = [
            Problem(
                "malformed",
                f"公告文件格式有误：{type(exc).__name__}: {exc}",
                f"the announcement is malformed: {type(exc).__name__}: {exc}",
                {},
            )
        ]
    problems = problems + verify(doc)
    for problem in problems:
        say(*mismatch_lines(problem))
    if problems:
        return 1
    say(*OK_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
