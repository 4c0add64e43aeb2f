"""The import pipeline under hypothesis (issue 12 §6): random bytes, valid files mutated (CSV,
the xlsx's bytes, its sheet's XML zipped correctly), random values in every column of every kind.
Each is a clean import, row errors, or one clear message; nothing written unless the whole file
was good."""

import csv
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.exceptions import ServiceError
from registry.imports import KINDS, registry_import
from registry.models import Institution
from tests.fuzzing import fuzz_settings
from tests.registry.hostile_files import SHEET, rezip
from tests.registry.import_files import SAMPLES

pytestmark = pytest.mark.django_db


GOOD_CSV = (SAMPLES / "institutions.csv").read_bytes()
GOOD_XLSX = (SAMPLES / "institutions.xlsx").read_bytes()
GOOD_SHEET = zipfile.ZipFile(io.BytesIO(GOOD_XLSX)).read(SHEET)


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Each edit replaces `length` bytes at a relative position with other bytes."""
    for position, length, insert in edits:
        at = position % (len(data) + 1)
        data = data[:at] + insert + data[at + length :]
    return data


edits = st.lists(
    st.tuples(st.integers(0, 2**20), st.integers(0, 8), st.binary(max_size=8)), max_size=6
)


def check_clean(stream: bytes) -> None:
    """A clean success, row errors, or one clear message; never anything else; nothing written
    unless the whole file was good."""
    before = Institution.objects.count(), Institution.history.count()
    try:
        result = registry_import(kind="institutions", stream=io.BytesIO(stream))
    except ServiceError as exc:
        assert str(exc) and "\n" not in str(exc)
        assert (Institution.objects.count(), Institution.history.count()) == before
        return
    if not result.ok:
        assert all(str(e) for e in result.errors)
        assert (Institution.objects.count(), Institution.history.count()) == before


@fuzz_settings(60)
@given(data=st.binary(max_size=2000))
def test_fuzz_random_bytes(jurisdiction, data):
    check_clean(data)
    check_clean(b"PK\x03\x04" + data)  # past the type detection, into the zip reader


@fuzz_settings(60)
@given(changes=edits)
def test_fuzz_mutated_csv(jurisdiction, changes):
    check_clean(mutate(GOOD_CSV, changes))


@fuzz_settings(40)
@given(changes=edits)
def test_fuzz_mutated_xlsx_bytes(jurisdiction, changes):
    check_clean(mutate(GOOD_XLSX, changes))


@fuzz_settings(60)
@given(changes=edits)
def test_fuzz_mutated_xlsx_xml(jurisdiction, changes):
    """The sheet's XML mutated, then zipped correctly: the XML parser and the cell readers."""
    check_clean(rezip(GOOD_XLSX, {SHEET: mutate(GOOD_SHEET, changes)}))


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


# Values that reach the parsers' deeper branches, and anything at all.
cell_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["律师", "500103", "执业", "2026-03-01", "5%", "NaN", "1次/年", "是", "现场检查", "9" * 60]
    ),
    st.from_regex(r"\A[0-9０-９²٣.%eE+\-/年月日次]{0,24}\Z"),
)


@fuzz_settings(25)
@given(kind=st.sampled_from(list(KINDS)), data=st.data())
def test_fuzz_cell_values_of_every_kind(jurisdiction, kind, data):
    """Every column of every KIND, with random values: a row error or an import, never a crash."""
    headers = [c.header for c in KINDS[kind].columns]
    rows = [data.draw(st.lists(cell_values, min_size=len(headers), max_size=len(headers)))]
    model = KINDS[kind].model
    before = model.objects.count()
    try:
        result = registry_import(kind=kind, stream=io.BytesIO(csv_bytes([headers, *rows])))
    except ServiceError as exc:
        assert "\n" not in str(exc)
    else:
        assert result.ok or model.objects.count() == before
