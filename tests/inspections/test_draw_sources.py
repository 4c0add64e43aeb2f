"""The public randomness sources (issue 12 §4; RFC 3797 §3, N10(2), Y3.5): each strictly after the
announcement and no later than the execution — by date and drawing time where the kind has one —
and each as its kind's rules say, checked by the services and, from the same table, by the
citizen's verifier (tools/verify_draw.py, run as a subprocess) and the public page.

The verifier: test_draw_sources_verifier.py; the pages: test_draw_sources_pages.py."""

import datetime as dt

import pytest
from django.urls import reverse

from core.exceptions import ServiceError
from inspections.models import Draw
from inspections.services.draws import draw_announce, draw_document, draw_execute, draw_immediate
from tests.inspections.conftest import DRAW_DAY, SOURCES, announce, clock
from tests.inspections.draw_checks import DAY, LOTTERIES, LOTTERY_VALUES, nothing_saved
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


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
