"""The RFC 3797 primitive of tools/verify_draw.py: the RFC's own worked example (§6), the key string
rules, the command line, the prefix property, and that the verifier needs nothing but Python."""

import ast
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools.verify_draw import DrawError, Ranking, key_string, parse_source, rfc3797_select

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
RFC_INDICES = [17, 7, 2, 16, 25, 23, 8, 24, 19, 13, 22, 5, 18, 9, 1, 4]
RFC_DIGESTS = [
    "990DD0A5692A029A98B5E01AA28F3459",
    "3691E55CB63FCC37914430B2F70B5EC6",
    "FE814EDF564C190AC1D25753979990FA",
]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(VERIFIER), *args], capture_output=True, text=True, timeout=60
    )


def naive_select(key: str, pool: int, count: int) -> list[int]:
    """RFC 3797 §6 read literally: remove each pick from a list of the remaining indices."""
    remaining, picks = list(range(1, pool + 1)), []
    for i in range(count):
        counter = i.to_bytes(2, "big")
        digest = hashlib.md5(counter + key.encode("ascii") + counter).digest()  # noqa: S324
        picks.append(remaining.pop(int.from_bytes(digest, "big") % len(remaining)))
    return picks


class TestRfcVector:
    def test_the_key_string_of_the_rfc_example(self):
        assert key_string([[9319], [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]) == RFC_KEY

    def test_the_sixteen_indices(self):
        assert rfc3797_select(RFC_KEY, 25, 16) == RFC_INDICES

    def test_the_three_digests_and_the_remaining_counts(self):
        ranking = Ranking(RFC_KEY, 25)
        assert [ranking[i] + 1 for i in range(3)] == [17, 7, 2]
        assert ranking.digests == RFC_DIGESTS
        # r = digest mod remaining (25, 24, 23) is the 0-based position among the unselected.
        assert int(RFC_DIGESTS[0], 16) % 25 == 16  # the 17th of 25
        assert int(RFC_DIGESTS[1], 16) % 24 == 6  # the 7th (17 is after it)
        assert int(RFC_DIGESTS[2], 16) % 23 == 1  # the 2nd

    def test_the_literal_reading_agrees(self):
        assert naive_select(RFC_KEY, 25, 16) == RFC_INDICES

    def test_the_whole_ranking_is_a_permutation(self):
        assert sorted(i + 1 for i in Ranking(RFC_KEY, 25)) == list(range(1, 26))


class TestKeyString:
    def test_values_are_sorted_within_a_source_and_sources_keep_their_order(self):
        assert key_string([[3, 1, 2], [0]]) == "1.2.3./0./"
        assert key_string([[0], [3, 1, 2]]) == "0./1.2.3./"

    def test_repeated_values_are_kept(self):
        assert key_string([[7, 7, 1]]) == "1.7.7./"

    def test_no_leading_zeros(self):
        assert key_string([parse_source("007 0010")]) == "7.10./"

    @pytest.mark.parametrize("bad", [[1.5], ["3"], [True], [None], [-1], [2, -5]])
    def test_non_integers_and_negatives_are_refused(self, bad):
        with pytest.raises(DrawError, match="not a non-negative integer"):
            key_string([[1], bad])

    def test_an_empty_source_is_refused(self):
        with pytest.raises(DrawError, match="source 2 has no values"):
            key_string([[1], []])

    @pytest.mark.parametrize("text", ["1.5", "-3", "+4", "1e3", "0x10", "abc", "1_000"])
    def test_parse_source_refuses_anything_but_decimal_integers(self, text):
        with pytest.raises(DrawError, match="not a non-negative integer"):
            parse_source(f"1 {text} 2")

    @pytest.mark.parametrize("text", ["9319²", "１２"])
    def test_parse_source_refuses_non_ascii_digits(self, text):
        # str.isdigit() accepts superscripts (int() then crashes) and full-width digits; the key
        # string is ASCII, so only ASCII digits are read.
        with pytest.raises(DrawError, match="not a non-negative integer"):
            parse_source(text)

    def test_parse_source_splits_on_any_whitespace(self):
        assert parse_source(" 2\t5\n12  8 10 ") == [2, 5, 12, 8, 10]


class TestCommandLine:
    def test_the_rfc_example(self):
        done = cli(
            "rfc3797", "--pool", "25", "--count", "16", "9319", "2 5 12 8 10", "9 18 26 34 41 45"
        )
        assert done.returncode == 0, done.stderr
        assert [int(line) for line in done.stdout.split()] == RFC_INDICES

    def test_more_than_the_pool_is_an_error(self):
        done = cli("rfc3797", "--pool", "3", "--count", "4", "1")
        assert done.returncode == 2
        # Chinese first, then English (issue 12 §11).
        assert done.stderr.splitlines() == [
            "错误：无法从 3 个中选出 4 个",
            "error: cannot select 4 of 3",
        ]

    @pytest.mark.parametrize("source", ["1.5", "-1", "", "9319²"])
    def test_bad_source_values_are_a_clear_error_not_a_traceback(self, source):
        done = cli("rfc3797", "--pool", "25", "--count", "3", "9319", source)
        assert done.returncode == 2
        zh, en = done.stderr.splitlines()
        assert zh.startswith("错误：") and en.startswith("error: ")
        assert "Traceback" not in done.stderr


@settings(max_examples=100, deadline=None)
@given(
    sources=st.lists(st.lists(st.integers(0, 10**6), min_size=1, max_size=7), min_size=1),
    pool=st.integers(1, 200),
    data=st.data(),
)
def test_asking_for_more_never_changes_the_earlier_picks(sources, pool, data):
    key = key_string(sources)
    fewer = data.draw(st.integers(0, pool))
    more = data.draw(st.integers(fewer, pool))
    assert rfc3797_select(key, pool, more)[:fewer] == rfc3797_select(key, pool, fewer)


@settings(max_examples=100, deadline=None)
@given(
    sources=st.lists(st.lists(st.integers(0, 10**6), min_size=1, max_size=7), min_size=1),
    pool=st.integers(1, 120),
)
def test_the_fast_ranking_agrees_with_the_literal_reading(sources, pool):
    key = key_string(sources)
    assert rfc3797_select(key, pool, pool) == naive_select(key, pool, pool)


def test_the_verifier_imports_only_the_standard_library():
    # Citizens download one file and run it with a bare Python: nothing else may be imported.
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            modules.add(node.module.split(".")[0])
    assert modules, "no imports found: the parser is looking at the wrong file"
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules
