"""The public randomness sources (issue 12 §4; RFC 3797 §3, N10(2), Y3.5): each strictly after the
announcement and no later than the execution — by date and drawing time where the kind has one —
and each as its kind's rules say, checked by the services and, from the same table, by the
citizen's verifier (tools/verify_draw.py, run as a subprocess) and the public page."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from core.exceptions import ServiceError
from inspections.models import Draw, DrawSelection, TeamMember
from inspections.services.draws import (
    draw_announce,
    draw_document,
    draw_execute,
    draw_immediate,
    draw_inputs,
)
from tests.inspections.conftest import (
    DRAW_DAY,
    EXECUTE_HOUR,
    SOURCES,
    VALUES,
    VERIFIER_OK,
    announce,
    clock,
    mismatches,
)
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
DAY = DRAW_DAY.isoformat()
# The three lotteries drawn on the evening of DRAW_DAY (a Tuesday).
LOTTERIES = [
    {"name": "福彩3D第2026085期", "kind": "fc3d", "date": DAY},
    {"name": "双色球第2026035期", "kind": "ssq", "date": DAY},
    {"name": "超级大乐透第26035期", "kind": "dlt", "date": DAY},
]
LOTTERY_VALUES = ["6 2 1", "3 9 14 22 27 31 8", "5 12 19 27 33 3 11"]


def verify_file(tmp_path: Path, doc: dict, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def nothing_saved(draw: Draw) -> None:
    draw.refresh_from_db()
    assert draw.status == Draw.Status.ANNOUNCED and draw.result is None
    assert not DrawSelection.objects.filter(draw=draw).exists()
    assert not TeamMember.objects.filter(selection__draw=draw).exists()


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


# -- the announcement ------------------------------------------------------------------------------
class TestAnnouncement:
    def test_sources_of_the_day_drawn_later_are_accepted_with_their_drawing_time(
        self, task, staff_user
    ):
        other = {"name": "某公开随机数", "kind": "other", "date": "2026-04-01", "count": 3}
        other["entropy_bits"], other["reading"] = 10, "三个整数"
        draw = announce(task=task, sources=[*SOURCES, other], user=staff_user)
        sources = draw.announcement["sources"]
        assert [s.get("time") for s in sources] == ["21:15", "15:00", None]
        # The document keeps its format and every field; `time` is new (docs/verify-a-draw.md).
        assert draw_document(draw)["format"] == "shuangsuiji-draw/1"
        assert set(sources[0]) == {
            "name",
            "kind",
            "date",
            "time",
            "reading",
            "count",
            "entropy_bits",
        }

    @pytest.mark.parametrize(
        ("hour", "minute", "source", "message"),
        [
            # Announced after that evening's draw: its numbers were known.
            (21, 30, SOURCES[0], "于 2026-03-31 21:15 开奖，不晚于公告时间 2026-03-31 21:30"),
            (21, 15, SOURCES[0], "于 2026-03-31 21:15 开奖，不晚于公告时间 2026-03-31 21:15"),
            (16, 0, SOURCES[1], "于 2026-03-31 15:00 开奖，不晚于公告时间 2026-03-31 16:00"),
            (
                9,
                0,
                {
                    "name": "某随机数",
                    "kind": "other",
                    "date": DAY,
                    "entropy_bits": 8,
                    "reading": "r",
                },
                "日期 2026-03-31 不晚于公告当日 2026-03-31",
            ),
        ],
    )
    def test_a_source_not_strictly_after_the_announcement_is_refused(
        self, task, staff_user, hour, minute, source, message
    ):
        with clock(DRAW_DAY, hour, minute), pytest.raises(ServiceError, match=message):
            draw_announce(task=task, sources=[source], user=staff_user)
        assert not Draw.objects.exists()

    def test_every_wrong_source_is_reported_at_once(self, task, staff_user):
        sources = [
            {**SOURCES[0], "date": "2026-03-30"},
            {"name": "名称\x00", "kind": "index", "date": DAY},
            {"name": "服务器", "kind": "server", "date": DAY},
            {"name": "周日期", "kind": "fc3d", "date": "2026-W14-2"},
            {"name": "未知", "kind": "lotto", "date": DAY},
            {"name": "熵", "kind": "other", "date": "2026-04-01", "entropy_bits": "nan"},
        ]
        with pytest.raises(ServiceError) as refused:
            announce(task=task, sources=sources, user=staff_user)
        lines = str(refused.value).splitlines()
        assert len(lines) == 6, lines
        assert (
            "第 1 个随机源（中国福利彩票双色球第 2026035 期）于 2026-03-30 21:15 开奖" in lines[0]
        )
        assert "不可见的控制字符" in lines[1]
        assert "服务器生成的随机数只能用于当场抽取" in lines[2]
        assert "第 4 个随机源的日期须写成 YYYY-MM-DD" in lines[3]
        assert "类型“lotto”未知" in lines[4]
        assert "熵估计须为 0 到 1024" in lines[5]
        assert not Draw.objects.exists()

    def test_the_announcement_form_says_when_the_source_is_drawn(self, task, staff_user, client):
        """At 21:30 a 双色球 of the same day is no longer in the future (the form's message)."""
        client.force_login(staff_user)
        data = {
            "source-TOTAL_FORMS": "1",
            "source-INITIAL_FORMS": "0",
            "source-MIN_NUM_FORMS": "1",
            "source-MAX_NUM_FORMS": "4",
            "missing_rule": "顺延",
            "source-0-kind": "ssq",
            "source-0-name": "双色球第2026035期",
            "source-0-date": DAY,
            "_confirm": "1",
        }
        url = reverse("admin:inspections_draw_announce", args=[task.pk])
        with clock(DRAW_DAY, 21, 30):
            response = client.post(url, data)
        assert response.status_code == 200 and not Draw.objects.exists()
        (error,) = response.context["sources"].forms[0].errors["date"]
        assert "于 2026-03-31 21:15 开奖，已不在将来" in error
        with clock(DRAW_DAY, 21, 0):
            response = client.post(url, data)
        assert response.status_code == 302 and Draw.objects.get().announcement["sources"][0][
            "time"
        ] == ("21:15")


# -- the execution ----------------------------------------------------------------------------------
class TestExecution:
    def test_the_issue_reproduction_is_refused_with_the_earliest_time(self, task, staff_user):
        """Issue 12 §4, as a new user tried it: announced at 17:18 with three lotteries of that
        day, executed in the same minute — before that evening's draws."""
        with clock(DRAW_DAY, 17, 18):
            draw = draw_announce(task=task, sources=LOTTERIES, user=staff_user)
            with pytest.raises(ServiceError) as refused:
                draw_execute(draw=draw, values=LOTTERY_VALUES, user=staff_user)
        assert str(refused.value).splitlines() == [
            "第 1 个随机源（福彩3D第2026085期）于 2026-03-31 21:15 开奖，尚未产生。",
            "第 2 个随机源（双色球第2026035期）于 2026-03-31 21:15 开奖，尚未产生。",
            "第 3 个随机源（超级大乐透第26035期）于 2026-03-31 21:25 开奖，尚未产生。",
            "最早可于 2026-03-31 21:25 之后执行。",
        ]
        nothing_saved(draw)
        with clock(DRAW_DAY, 21, 20), pytest.raises(ServiceError) as refused:
            draw_execute(draw=draw, values=LOTTERY_VALUES, user=staff_user)
        assert len(str(refused.value).splitlines()) == 2  # the 大乐透 and when
        with clock(DRAW_DAY, 21, 25):  # a retry once all are drawn succeeds, once
            assert draw_execute(draw=draw, values=LOTTERY_VALUES, user=staff_user).is_executed
        with pytest.raises(ServiceError, match="已经执行"):
            draw_execute(draw=draw, values=LOTTERY_VALUES, user=staff_user)

    def test_a_source_without_a_drawing_time_may_be_entered_from_its_day(self, task, staff_user):
        other = {"name": "某公开随机数", "kind": "other", "date": "2026-04-01"}
        other.update(entropy_bits=30, reading="三个整数", count=3)
        draw = announce(task=task, sources=[other], user=staff_user)
        with pytest.raises(ServiceError, match="最早可于 2026-04-01 当日执行"):
            draw_execute(draw=draw, values=["1 2 3"], user=staff_user)
        with clock(dt.date(2026, 4, 1), 0, 5):
            assert draw_execute(draw=draw, values=["1 2 3"], user=staff_user).is_executed

    def test_every_wrong_value_of_every_source_is_reported_and_nothing_saved(
        self, task, staff_user
    ):
        """Issue 12 §4: these were accepted and published as an unchangeable result."""
        draw = announce(task=task, sources=LOTTERIES, user=staff_user)
        with pytest.raises(ServiceError) as refused:
            draw_execute(
                draw=draw, values=["6 2 12", "1 2 3 4 5 40 20", "5 5 5 5 5 13 13"], user=staff_user
            )
        assert str(refused.value).splitlines() == [
            "第 1 个随机源（福彩3D第2026085期）的第 3 个数 12 超出数字的范围 0–9。",
            "第 2 个随机源（双色球第2026035期）的第 6 个数 40 超出红球的范围 1–33。",
            "第 2 个随机源（双色球第2026035期）的第 7 个数 20 超出蓝球的范围 1–16。",
            "第 3 个随机源（超级大乐透第26035期）的前区号码中 5 出现了 5 次，前区号码应互不相同。",
            "第 3 个随机源（超级大乐透第26035期）的第 6 个数 13 超出后区号码的范围 1–12。",
            "第 3 个随机源（超级大乐透第26035期）的第 7 个数 13 超出后区号码的范围 1–12。",
            "第 3 个随机源（超级大乐透第26035期）的后区号码中 13 出现了 2 次，后区号码应互不相同。",
        ]
        nothing_saved(draw)
        # A retry with the right numbers goes through.
        assert draw_execute(draw=draw, values=LOTTERY_VALUES, user=staff_user).is_executed

    @pytest.mark.parametrize(
        ("kind", "values", "message"),
        [
            ("ssq", "1 1 2 3 4 5 6", "红球中 1 出现了 2 次"),
            ("ssq", "0 2 3 4 5 6 7", "第 1 个数 0 超出红球的范围 1–33"),
            ("ssq", "1 2 3 4 5 6 0", "第 7 个数 0 超出蓝球的范围 1–16"),
            ("dlt", "1 2 3 4 36 1 2", "第 5 个数 36 超出前区号码的范围 1–35"),
            ("pl5", "1 2 3 4 10", "第 5 个数 10 超出数字的范围 0–9"),
            ("pl5", "1 2 3 4", "应有 5 个数，实际填写了 4 个"),
            ("fc3d", "1 2 3 4", "应有 3 个数，实际填写了 4 个"),
            ("fc3d", "1 2 -3", "只能填写非负整数"),
            ("fc3d", "1 2 ٣", "只能填写非负整数"),  # an Arabic-Indic 3: not a digit we read
            ("fc3d", "1 2 3²", "只能填写非负整数"),
            ("fc3d", "1 2 1e1", "只能填写非负整数"),
            ("fc3d", "1 2 " + "9" * 5000, "只能填写非负整数"),  # int() would raise
            ("fc3d", "1 2 3\x00", "只能填写非负整数"),
            ("fc3d", [1, 2, True], "只能填写非负整数"),
            ("fc3d", [1, 2, 3.0], "只能填写非负整数"),
            ("fc3d", [1, 2, -3], "只能填写非负整数"),
            ("fc3d", [1, 2, 10**40], "超出数字的范围 0–9"),
            ("index", "3245.6", "须按公布的点位填写两位小数"),
            ("index", "3245", "须按公布的点位填写两位小数"),
            ("index", "324567", "须按公布的点位填写两位小数"),
            ("index", "3,245.67", "须按公布的点位填写两位小数"),
            ("index", "3245.670", "须按公布的点位填写两位小数"),
            ("index", "-3245.67", "须按公布的点位填写两位小数"),
            ("index", "0.00", "第 1 个数 0 超出收盘点位×100的范围"),
            ("index", "1234567.00", "须按公布的点位填写两位小数"),
        ],
        ids=lambda value: (value if isinstance(value, str) else repr(value))[:30],
    )
    def test_the_rules_of_each_kind(self, task, staff_user, kind, values, message):
        source = {"name": f"随机源 {kind}", "kind": kind, "date": DAY}
        draw = announce(task=task, sources=[source], user=staff_user)
        with pytest.raises(ServiceError, match=message):
            draw_execute(draw=draw, values=[values], user=staff_user)
        nothing_saved(draw)

    @pytest.mark.parametrize(
        ("kind", "typed", "stored"),
        [
            ("index", "3245.67", [324567]),
            ("index", "３２４５．６７", [324567]),  # full-width, as a Chinese input method types
            ("index", 324567, [324567]),  # a program passes the stored form (the document's)
            ("index", "0003245.07", None),  # more than six digits before the point
            ("fc3d", "0 0 9", [0, 0, 9]),  # digits repeat
            ("fc3d", "１　２　３", [1, 2, 3]),  # full-width digits and space
            ("ssq", "03 09 14 22 27 31 08", [3, 9, 14, 22, 27, 31, 8]),
            ("ssq", "31 3 27 9 22 14 8", [31, 3, 27, 9, 22, 14, 8]),  # the order drawn
        ],
    )
    def test_what_is_read_and_how_it_is_stored(self, task, staff_user, kind, typed, stored):
        source = {"name": f"随机源 {kind}", "kind": kind, "date": DAY}
        draw = announce(task=task, sources=[source], user=staff_user)
        if stored is None:
            with pytest.raises(ServiceError):
                draw_execute(draw=draw, values=[typed], user=staff_user)
            return
        draw = draw_execute(draw=draw, values=[typed], user=staff_user)
        assert draw.source_values == [stored]

    def test_immediate_draws_are_exempt_from_timing(self, task, staff_user):
        with clock(DRAW_DAY, 23, 59):
            draw = draw_immediate(
                task=task, reason="开奖推迟", witnesses=["甲", "乙"], user=staff_user
            )
        assert draw.is_executed and not draw.verifiable
        assert draw.executed_at == draw.announced_at
        (source,) = draw.announcement["sources"]
        assert source["kind"] == "server" and "time" not in source
        assert algorithm.verify(draw_document(draw)) == []


# -- the verifier ------------------------------------------------------------------------------------
class TestVerifier:
    def test_an_honest_draw_verifies(self, executed, tmp_path):
        done = verify_file(tmp_path, draw_document(executed))
        assert (done.returncode, done.stdout.strip()) == (0, VERIFIER_OK), done.stderr

    def test_a_draw_executed_before_its_sources_is_refused(self, task, staff_user, tmp_path):
        """Issue 12 §4: announced at 17:18 with three lotteries dated that day and executed in
        the same minute — the verifier said OK."""
        with clock(DRAW_DAY, 17, 18) as moment:
            draw = draw_announce(task=task, sources=LOTTERIES, user=staff_user)
        values = [[6, 2, 1], [3, 9, 14, 22, 27, 31, 8], [5, 12, 19, 27, 33, 3, 11]]
        draw = legacy_execute(draw, values, moment, staff_user)
        done = verify_file(tmp_path, draw_document(draw))
        assert done.returncode == 1
        pairs = mismatches(done.stdout)
        assert [en for _zh, en in pairs] == [
            "MISMATCH: the draw was executed on 2026-03-31 17:18 (Beijing time), before source "
            f"{n} ({s['name']}) was drawn ({DAY} {t}): its numbers did not exist yet"
            for n, (s, t) in enumerate(
                zip(LOTTERIES, ["21:15", "21:15", "21:25"], strict=True), start=1
            )
        ]
        assert pairs[0][0] == (
            "不一致：抽取于 2026-03-31 17:18（北京时间）执行，早于第 1 个随机源（福彩3D第2026085期）"
            "产生的时间 2026-03-31 21:15：执行时其数字尚未产生"
        )

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            (
                lambda d: d.update(announced_at="2026-03-31T13:20:00+00:00"),  # 21:20 Beijing
                [
                    "source 1 (中国福利彩票双色球第 2026035 期) is drawn on 2026-03-31 21:15 "
                    "(Beijing time), not after the announcement at 2026-03-31 21:20",
                    "source 2 (上证综合指数 2026-03-31 收盘) is drawn on 2026-03-31 15:00",
                ],
            ),
            (
                lambda d: d["sources"][1].update(date="2026-03-30"),
                [
                    "source 2 (上证综合指数 2026-03-31 收盘) is drawn on 2026-03-30 15:00 "
                    "(Beijing time), not after the announcement at 2026-03-31 10:00"
                ],
            ),
            (
                lambda d: d["sources"][0].update(date="2026-04-02"),
                ["the draw was executed on 2026-03-31 22:00 (Beijing time), before source 1"],
            ),
            (
                lambda d: d["sources"][0].update(time="20:00"),
                [
                    "source 1 (中国福利彩票双色球第 2026035 期): the document says it is drawn at "
                    "20:00, before the Double Colour Ball (ssq) drawing time 21:15"
                ],
            ),
            (
                lambda d: d.update(executed_at="2026-03-31T14:00:00+08:00"),
                ["before source 1", "before source 2"],
            ),
        ],
    )
    def test_moved_times_and_dates_are_refused(self, executed, tmp_path, change, expected):
        doc = draw_document(executed)
        change(doc)
        done = verify_file(tmp_path, doc)
        assert done.returncode == 1, done.stdout
        found = [en for _zh, en in mismatches(done.stdout)]
        assert len(found) == len(expected), found
        for line, part in zip(found, expected, strict=True):
            assert part in line, (part, line)

    def test_a_document_without_times_uses_the_kinds_drawing_times(
        self, task, staff_user, executed, tmp_path
    ):
        """Documents published before `time` existed: the verifier knows the kinds' times."""
        doc = draw_document(executed)
        for source in doc["sources"]:
            del source["time"]
        assert verify_file(tmp_path, doc).stdout.strip() == VERIFIER_OK
        doc["executed_at"] = "2026-03-31T20:00:00+08:00"
        found = mismatches(verify_file(tmp_path, doc).stdout)
        assert len(found) == 1 and "drawn (2026-03-31 21:15)" in found[0][1]

    def test_the_values_obey_their_kinds(self, task, staff_user, tmp_path):
        """A forged document recomputed in itself: the verifier still knows the 双色球's balls."""
        draw = announce(task=task, sources=LOTTERIES, user=staff_user)
        draw = draw_execute(draw=draw, values=LOTTERY_VALUES, user=staff_user)
        doc = draw_document(draw)
        doc["sources"][0]["values"] = [6, 2, 12]
        doc["sources"][1]["values"] = [1, 2, 3, 4, 5, 40, 20]
        doc["result"] = algorithm.compute_draw(doc)
        done = verify_file(tmp_path, doc)
        assert done.returncode == 1
        assert mismatches(done.stdout) == [
            (
                "不一致：第 1 个随机源（福彩3D第2026085期）：第 3 个数 12 超出数字的范围 0–9",
                "MISMATCH: source 1 (福彩3D第2026085期): number 3, 12, is outside the range of "
                "the digits (0–9)",
            ),
            (
                "不一致：第 2 个随机源（双色球第2026035期）：第 6 个数 40 超出红球的范围 1–33",
                "MISMATCH: source 2 (双色球第2026035期): number 6, 40, is outside the range of "
                "the red balls (1–33)",
            ),
            (
                "不一致：第 2 个随机源（双色球第2026035期）：第 7 个数 20 超出蓝球的范围 1–16",
                "MISMATCH: source 2 (双色球第2026035期): number 7, 20, is outside the range of "
                "the blue ball (1–16)",
            ),
        ]

    def test_a_changed_announcement_time_differs_from_the_saved_announcement(
        self, announced, staff_user, tmp_path
    ):
        saved = tmp_path / "announced.json"
        saved.write_text(json.dumps(draw_document(announced), ensure_ascii=False), "utf-8")
        doc = draw_document(draw_execute(draw=announced, values=VALUES, user=staff_user))
        assert verify_file(tmp_path, doc, "--announcement", str(saved)).returncode == 0
        doc["announced_at"] = "2026-03-31T09:00:00+08:00"  # earlier: consistent in itself
        done = verify_file(tmp_path, doc, "--announcement", str(saved))
        assert mismatches(done.stdout) == [
            (
                "不一致：announced_at 与公告时不同",
                "MISMATCH: announced_at differs from the announcement",
            )
        ]

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda d: d["sources"][0].update(values=[True, 9, 14, 22, 27, 31, 8]),
            lambda d: d["sources"][0].update(values=[3.0, 9, 14, 22, 27, 31, 8]),
            lambda d: d["sources"][0].update(values=["3", 9, 14, 22, 27, 31, 8]),
            lambda d: d["sources"][0].update(values=[-3, 9, 14, 22, 27, 31, 8]),
            lambda d: d["sources"][1].update(values=[10**200]),
            lambda d: d["sources"][0].update(date="2026-W14-2"),
            lambda d: d["sources"][0].update(date=None),
            lambda d: d["sources"][0].update(time="9:15"),
            lambda d: d["sources"][0].update(time=2115),
            lambda d: d.update(announced_at="2026-03-31T10:00:00"),  # no UTC offset
            lambda d: d.update(announced_at=None),
            lambda d: d["sources"][0].update(kind="server"),  # a seed in a verifiable draw
            lambda d: d.update(sources="双色球"),
        ],
    )
    def test_odd_documents_are_mismatches_not_tracebacks(self, executed, tmp_path, tamper):
        doc = draw_document(executed)
        tamper(doc)
        done = verify_file(tmp_path, doc)
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert mismatches(done.stdout) and "Traceback" not in done.stderr

    def test_not_a_draw_document(self, tmp_path):
        for doc in ([1, 2, 3], "双色球", 7):
            done = verify_file(tmp_path, doc)
            assert done.returncode == 1 and "Traceback" not in done.stderr
            assert mismatches(done.stdout) == [
                (
                    "不一致：未知的文件格式 None（本程序读取 shuangsuiji-draw/1）",
                    "MISMATCH: unknown format None (this verifier reads shuangsuiji-draw/1)",
                )
            ]

    def test_a_saved_announcement_that_is_not_one(self, executed, tmp_path):
        saved = tmp_path / "announced.json"
        saved.write_text('{"format": "shuangsuiji-draw/1"}', encoding="utf-8")
        doc = draw_document(executed)
        done = verify_file(tmp_path, doc, "--announcement", str(saved))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "differs from the announcement" in mismatches(done.stdout)[0][1]
        saved.write_text("[]", encoding="utf-8")
        done = verify_file(tmp_path, doc, "--announcement", str(saved))
        assert done.returncode == 1 and "the announcement is malformed" in done.stdout

    def test_unreadable_files_are_errors_in_both_languages(self, tmp_path):
        huge = tmp_path / "huge.json"
        huge.write_text('{"result": {"key": ' + "9" * 5000 + "}}", encoding="utf-8")
        nul = tmp_path / "nul.json"
        nul.write_bytes(b"\x00\xff\xfe{")
        deep = tmp_path / "deep.json"
        deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
        for path in (huge, nul, deep, tmp_path / "missing.json"):
            done = subprocess.run(
                [sys.executable, str(VERIFIER), str(path)], capture_output=True, text=True
            )
            assert done.returncode == 2, done.stderr
            zh, en = done.stderr.splitlines()
            assert zh.startswith("错误：无法读取") and en.startswith("error: cannot read")

    def test_usage_errors_are_in_both_languages(self):
        done = subprocess.run([sys.executable, str(VERIFIER)], capture_output=True, text=True)
        assert done.returncode == 2
        zh, en = done.stderr.splitlines()[-2:]
        assert zh.startswith("错误：命令行参数有误") and en.startswith("error: ")


# -- the public page ---------------------------------------------------------------------------------
class TestPublicPage:
    def test_a_draw_executed_before_its_sources_is_reported(self, task, staff_user, client):
        """The page used to say the numbers did not exist at the announcement — true, and
        nothing about their not existing at the execution either."""
        with clock(DRAW_DAY, 17, 18) as moment:
            draw = draw_announce(task=task, sources=LOTTERIES, user=staff_user)
        values = [[6, 2, 1], [3, 9, 14, 22, 27, 31, 8], [5, 12, 19, 27, 33, 3, 11]]
        draw = legacy_execute(draw, values, moment, staff_user)
        text = client.get(reverse("inspections:draw_detail", args=[draw.pk])).content.decode()
        assert "本次抽取的时间与随机源不符，不能视为公开可验证" in text
        assert "第 3 个随机源（超级大乐透第26035期）尚未产生（2026-03-31 21:25）" in text
        assert "公告时这些数字尚未产生" in text  # they did not, and did not at the execution
        # The staff's page says it too.
        client.force_login(staff_user)
        admin = client.get(reverse("admin:inspections_draw_change", args=[draw.pk]))
        assert "第 1 个随机源（福彩3D第2026085期）尚未产生（2026-03-31 21:15）" in (
            admin.content.decode()
        )

    def test_a_source_known_at_the_announcement_is_reported(self, task, staff_user, client):
        """A draw announced under the old rule (issue 12 §4: a source dated the announcement
        day was accepted all day): the index closed at 15:00, announced at 16:00. Inserted as
        the old code wrote it; the database cannot know when a lottery is drawn."""
        with transaction.atomic():
            model = announce(task=task, sources=SOURCES, user=staff_user)
            announcement, pool_ids = model.announcement, model.pool_ids
            transaction.set_rollback(True)
        draw = Draw.objects.create(
            task=task,
            announcement=announcement,
            pool_ids=pool_ids,
            announced_at=dt.datetime(2026, 3, 31, 8, 0, tzinfo=dt.UTC),  # 16:00 Beijing
            announced_by=staff_user,
        )
        text = client.get(reverse("inspections:draw_detail", args=[draw.pk])).content.decode()
        assert (
            "第 2 个随机源（上证综合指数 2026-03-31 收盘）于 2026-03-31 15:00 产生，不晚于公告时间"
            in text
        )
        assert "公告时这些数字尚未产生" not in text
        # Nor can it be executed now: its result could never verify; a re-draw is due.
        with pytest.raises(ServiceError, match="第 2 个随机源.*不晚于公告时间：本次抽取不能执行"):
            draw_execute(draw=draw, values=VALUES, user=staff_user)
        nothing_saved(draw)

    def test_an_honest_draw_has_no_warning_and_shows_the_drawing_times(self, executed, client):
        text = client.get(reverse("inspections:draw_detail", args=[executed.pk])).content.decode()
        assert "不能视为公开可验证" not in text
        assert f"{DAY} 21:15" in text and f"{DAY} 15:00" in text
        assert "公告时这些数字尚未产生" in text


def test_the_execute_screen_says_when_it_may_run(task, staff_user, client):
    draw = announce(task=task, sources=SOURCES, user=staff_user)
    client.force_login(staff_user)
    url = reverse("admin:inspections_draw_execute", args=[draw.pk])
    with clock(DRAW_DAY, 17, 18):
        response = client.post(url, {"source_1": VALUES[0], "source_2": VALUES[1]})
    assert response.status_code == 200
    (error,) = response.context["form"].errors["source_1"]
    assert "最早可于 2026-03-31 21:15 之后执行" in error
    assert "source_2" not in response.context["form"].errors  # the index closed at 15:00
    nothing_saved(draw)
    with clock(DRAW_DAY, EXECUTE_HOUR):
        response = client.post(url, {"source_1": VALUES[0], "source_2": VALUES[1]})
    assert response.status_code == 302
    draw.refresh_from_db()
    assert draw.source_values == [[3, 9, 14, 22, 27, 31, 8], [325671]]
