"""`import_registry` with files that are not what they should be (SPEC §1): a missing or repeated
header, an empty file, a legacy .xls, random bytes, a corrupt workbook, GBK text — each a clear
message, nothing written."""

import os
import random

import pytest

from registry.models import Institution
from tests.registry.import_files import (
    INSTITUTION_HEADER,
    institution_row,
    run,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


def test_missing_required_column_is_named(tmp_path, jurisdiction):
    header = [h for h in INSTITUTION_HEADER if h != "辖区代码"]
    rows = [
        header,
        [c for h, c in zip(INSTITUTION_HEADER, institution_row(1), strict=True) if h != "辖区代码"],
    ]
    status, _out, err = run("institutions", write_csv(tmp_path / "m.csv", rows))
    assert status == 1
    assert "第 1 行（表头）" in err
    assert "缺少必填列：辖区代码" in err
    assert not Institution.objects.exists()


def test_duplicated_header_is_refused(tmp_path, jurisdiction):
    rows = [[*INSTITUTION_HEADER, "机构名称"], [*institution_row(1), "又一个"]]
    status, _out, err = run("institutions", write_csv(tmp_path / "d.csv", rows))
    assert status == 1
    assert "表头“机构名称”出现了两次" in err


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf"], ids=["0-bytes", "bom-only"])
def test_empty_file(tmp_path, jurisdiction, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "文件为空" in err


def test_empty_xlsx(tmp_path, jurisdiction):
    status, _out, err = run("institutions", write_xlsx(tmp_path / "empty.xlsx", []))
    assert status == 1
    assert "文件为空" in err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_header_only_file(tmp_path, jurisdiction, fmt):
    writer = write_csv if fmt == "csv" else write_xlsx
    path = writer(tmp_path / f"header.{fmt}", [INSTITUTION_HEADER])
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "文件只有表头，没有数据行" in err


def test_legacy_xls_is_refused_with_advice(tmp_path, jurisdiction):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "不支持旧版 .xls 文件" in err
    assert ".xlsx" in err


def test_ten_megabytes_of_random_bytes(tmp_path, jurisdiction):
    path = tmp_path / "garbage.csv"
    path.write_bytes(random.Random(20260301).randbytes(10 * 2**20))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "无法识别的文件类型" in err
    assert "Traceback" not in err


def test_ten_megabytes_of_text_garbage(tmp_path, jurisdiction):
    """Valid UTF-8 but one enormous line: the CSV reader's field limit, not a crash."""
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"x" * (10 * 2**20))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "无法按 CSV 解析" in err


def test_corrupt_xlsx(tmp_path, jurisdiction):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(5000))
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "不是有效的 .xlsx 工作簿" in err


def test_gbk_csv_gets_a_clear_message(tmp_path, jurisdiction):
    path = write_csv(tmp_path / "gbk.csv", [INSTITUTION_HEADER, institution_row(1)], encoding="gbk")
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "UTF-8" in err
    assert "GBK" in err
    assert not Institution.objects.exists()


def test_gbk_after_a_long_ascii_start(tmp_path, jurisdiction):
    """The first 4 KB look like UTF-8; the GBK text further down still gets a clear message."""
    header = ",".join(INSTITUTION_HEADER).encode()
    filler = b",,,,,\r\n" * 1000  # blank rows, skipped
    body = ",".join(institution_row(1)).encode("gbk")
    path = tmp_path / "late-gbk.csv"
    path.write_bytes(header + b"\r\n" + filler + body)
    status, _out, err = run("institutions", path)
    assert status == 1
    assert "UTF-8" in err
    assert "Traceback" not in err
