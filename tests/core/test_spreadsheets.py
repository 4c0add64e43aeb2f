"""The apostrophe rule of docs/open-data.md: no CSV cell begins like a formula, and dropping one
protecting apostrophe gives back the exact text, whatever the text."""

import io

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from core.spreadsheets import FORMULA_TRIGGERS, csv_cell, unquote, xlsx_bytes

# Texts that start like formulae or apostrophes far more often than random text would.
texts = st.one_of(
    st.text(),
    st.builds(
        lambda head, tail: head + tail,
        st.text(alphabet=["'", *FORMULA_TRIGGERS], min_size=1, max_size=4),
        st.text(max_size=20),
    ),
)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_csv_cells_never_start_a_formula_and_unquote_exactly(text):
    cell = csv_cell(text)
    assert cell[:1] not in FORMULA_TRIGGERS
    assert unquote(cell) == text


@settings(max_examples=40, deadline=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_xlsx_cells_are_text_and_unquote_exactly(values):
    content = xlsx_bytes(["列"], [[v] for v in values])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert len(cells) == len(values)
    for cell, value in zip(cells, values, strict=True):
        assert cell.data_type != "f"
        if (
            value
            and value == value.replace("\r", "")
            and not any(c < " " and c not in "\t\n" for c in value)
        ):
            assert unquote(cell.value) == value
