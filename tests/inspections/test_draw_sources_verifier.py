"""The public randomness sources in the citizen's verifier (issue 12 §4; RFC 3797 §3, N10(2)):
tools/verify_draw.py, run as a subprocess, refuses a draw executed before its sources were drawn,
times and dates moved in the document, values against their kind's rules, odd and unreadable
files — in both languages, never with a traceback."""

import json
import subprocess
import sys

import pytest

from inspections.services.draws import draw_announce, draw_document, draw_execute
from tests.inspections.conftest import DRAW_DAY, VALUES, VERIFIER_OK, announce, clock, mismatches
from tests.inspections.draw_checks import (
    DAY,
    LOTTERIES,
    LOTTERY_VALUES,
    VERIFIER,
    legacy_execute,
    verify_file,
)
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


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
