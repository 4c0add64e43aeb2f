"""Identifiers of SPEC §7: the unified social credit code (GB 32100-2015) with its check character
and the sector prefix of justice-registered institutions, and the resident identity number
(GB 11643-1999, ISO 7064 MOD 11-2)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from registry.models import Sector
from registry.validators import (
    CREDIT_ALPHABET,
    credit_code_check_char,
    credit_code_error,
    id_number_check_char,
    id_number_error,
    mask_id_number,
    validate_credit_code,
    validate_id_number,
)
from tests.factories import make_credit_code, make_id_number

# Published examples: the GB 32100-2015 example code and the GB 11643-1999 example number.
VALID_CREDIT_CODE = "91350100M000100Y43"
VALID_ID_NUMBER = "11010519491231002X"


# -- unified social credit code ------------------------------------------------------------------
def test_published_credit_code_is_valid():
    assert credit_code_error(VALID_CREDIT_CODE) is None
    validate_credit_code(VALID_CREDIT_CODE)  # does not raise
    assert credit_code_check_char(VALID_CREDIT_CODE[:17]) == "3"


@pytest.mark.parametrize(
    "code",
    [
        "31500103000000101L",  # docs/samples/institutions.csv
        "31500103000000102P",
        "325001030000002017",
        make_credit_code("lawyer", "500103", 1),
        make_credit_code("legal_aid", "640100", 42),
    ],
)
def test_other_valid_credit_codes(code):
    assert credit_code_error(code) is None


@pytest.mark.parametrize("wrong", [c for c in CREDIT_ALPHABET if c != "3"][:5] + ["Y", "0"])
def test_wrong_check_character(wrong):
    error = credit_code_error(VALID_CREDIT_CODE[:17] + wrong)
    assert error is not None
    assert "校验位" in error
    assert "应为 3" in error


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_forbidden_letters(letter):
    # Same length, the forbidden letter in the serial part (position 10).
    code = VALID_CREDIT_CODE[:9] + letter + VALID_CREDIT_CODE[10:]
    error = credit_code_error(code)
    assert error is not None
    assert letter in error
    assert "不允许的字符" in error


def test_lower_case_is_not_in_the_alphabet():
    assert "不允许的字符" in credit_code_error(VALID_CREDIT_CODE.lower())


@pytest.mark.parametrize(
    "code", ["", "91350100M000100Y4", "91350100M000100Y433", VALID_CREDIT_CODE[:10]]
)
def test_wrong_length(code):
    error = credit_code_error(code)
    assert error is not None
    assert "18 位" in error
    assert f"实为 {len(code)} 位" in error


def test_division_code_must_be_six_digits():
    body = "3100" + "0103" + "000000001"  # characters 3–8 "000103" start with 0
    error = credit_code_error(body + credit_code_check_char(body))
    assert error is not None
    assert "行政区划代码" in error


def test_validate_credit_code_raises_validation_error():
    with pytest.raises(ValidationError) as info:
        validate_credit_code(VALID_CREDIT_CODE[:17] + "4")
    assert info.value.code == "credit_code"


# -- the sector prefix (SPEC §7) -----------------------------------------------------------------
SECTOR_PREFIXES = {
    Sector.Code.LAWYER: "31",
    Sector.Code.NOTARY: "32",
    Sector.Code.GRASSROOTS: "33",
    Sector.Code.APPRAISAL: "34",
    Sector.Code.ARBITRATION: "35",
}


def _code_with_prefix(prefix: str) -> str:
    body = prefix + "500103" + "000000777"
    return body + credit_code_check_char(body)


@pytest.mark.parametrize(("sector_code", "prefix"), SECTOR_PREFIXES.items())
def test_sector_prefix_matches(sector_code, prefix):
    sector = Sector(code=sector_code)
    assert sector.credit_code_error(_code_with_prefix(prefix)) is None


@pytest.mark.parametrize(("sector_code", "prefix"), SECTOR_PREFIXES.items())
def test_sector_prefix_mismatch(sector_code, prefix):
    sector = Sector(code=sector_code)
    for other in set(SECTOR_PREFIXES.values()) - {prefix}:
        error = sector.credit_code_error(_code_with_prefix(other))
        assert error is not None
        assert f"前缀应为 {prefix}" in error
        assert f"实为 {other}" in error
    # A valid code of an ordinary company (91…) is not a law firm's, notary office's, …
    assert sector.credit_code_error(VALID_CREDIT_CODE) is not None


def test_legal_aid_bodies_are_public_institutions_1x():
    sector = Sector(code=Sector.Code.LEGAL_AID)
    assert sector.credit_code_error(_code_with_prefix("12")) is None
    assert sector.credit_code_error(_code_with_prefix("11")) is None
    error = sector.credit_code_error(_code_with_prefix("31"))
    assert error is not None
    assert "前缀应为 1x" in error


def test_sector_reports_the_code_error_before_the_prefix():
    good = _code_with_prefix("31")
    bad = good[:17] + ("1" if good[17] == "0" else "0")
    assert "校验位" in Sector(code=Sector.Code.LAWYER).credit_code_error(bad)


# -- resident identity number --------------------------------------------------------------------
def test_published_id_number_is_valid():
    assert id_number_error(VALID_ID_NUMBER) is None
    validate_id_number(VALID_ID_NUMBER)
    assert id_number_check_char(VALID_ID_NUMBER[:17]) == "X"


@pytest.mark.parametrize(
    "number",
    ["500103198501021213", "500103198502031229", make_id_number(7), make_id_number(123)],
)
def test_other_valid_id_numbers(number):
    assert id_number_error(number) is None


@pytest.mark.parametrize("last", list("0123456789"))
def test_id_number_wrong_check_character(last):
    error = id_number_error(VALID_ID_NUMBER[:17] + last)
    assert error is not None
    assert "校验位" in error


@pytest.mark.parametrize(
    "number",
    [
        "",
        "110105194912310",  # the old 15-digit number is not accepted
        "11010519491231002",
        "11010519491231002XX",
        "1101051949123100AX",
        "11010519491231002x",  # the import upper-cases; the validator itself does not
        "11010519491231002Y",
    ],
)
def test_id_number_shape(number):
    error = id_number_error(number)
    assert error is not None
    assert "18 位" in error


def test_validate_id_number_raises_validation_error():
    with pytest.raises(ValidationError) as info:
        validate_id_number("110105194912310021")
    assert info.value.code == "id_number"


def test_id_number_is_masked():
    assert mask_id_number(VALID_ID_NUMBER) == "110105********002X"


# -- properties ----------------------------------------------------------------------------------
alphabet = st.sampled_from(CREDIT_ALPHABET)
division = st.from_regex(r"\A[1-9][0-9]{5}\Z")
credit_bodies = st.builds(
    lambda head, div, tail: "".join(head) + div + "".join(tail),
    st.lists(alphabet, min_size=2, max_size=2),
    division,
    st.lists(alphabet, min_size=9, max_size=9),
)


@given(body=credit_bodies, other=alphabet)
def test_credit_code_check_character_property(body, other):
    """For any 17-character body, the computed check character validates and no other does."""
    check = credit_code_check_char(body)
    assert check in CREDIT_ALPHABET
    assert credit_code_error(body + check) is None
    if other != check:
        assert "校验位" in credit_code_error(body + other)


@given(body=st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17))
def test_credit_code_check_character_satisfies_the_standard(body):
    """GB 32100-2015: the weighted sum of the 17 characters plus the check character is ≡ 0
    (mod 31) — checked independently of the implementation's formula."""
    weights = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, …
    check = credit_code_check_char(body)
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body, weights, strict=True))
    assert (total + CREDIT_ALPHABET.index(check)) % 31 == 0


@given(body=st.from_regex(r"\A[0-9]{17}\Z"), other=st.sampled_from("0123456789X"))
def test_id_number_check_character_property(body, other):
    check = id_number_check_char(body)
    assert id_number_error(body + check) is None
    if other != check:
        assert id_number_error(body + other) is not None
