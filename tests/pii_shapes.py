"""What an ID number or a phone looks like, to prove that none reaches the public (issue 14 §4):
defined here, apart from core.pii's masking patterns, so that a mistake there cannot hide itself."""

import re

# Not inside a longer run of letters and digits: a SHA-256 in hex, which the draw documents are
# full of, holds 11 decimal digits in a row often enough to make a test flaky.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")


def personal_shapes(text: str, *, allowed=()) -> list[str]:
    """Every ID-number or mobile-number shape in `text`, once `allowed` texts (an institution's
    credit code may be 18 digits) are taken out."""
    for value in allowed:
        text = text.replace(value, " ")
    return ID_NUMBER.findall(text) + MOBILE.findall(text)
