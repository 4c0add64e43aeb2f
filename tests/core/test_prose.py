"""A note set into a sentence ends in one full stop (issue 12 §11.6: “范围不清。。”)."""

import pytest

from core.templatetags.prose import sentence


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("范围不清。", "范围不清。"),
        ("范围不清", "范围不清。"),
        ("范围不清；", "范围不清。"),
        ("范围不清，", "范围不清。"),
        ("  范围不清。\n", "范围不清。"),
        ("材料不全！", "材料不全！"),
        ("是否补做？", "是否补做？"),
        ("见第 3 项…", "见第 3 项…"),
        ("", ""),
        ("  ；", ""),
        (None, ""),
    ],
)
def test_one_end_mark(note, expected):
    assert sentence(note) == expected
