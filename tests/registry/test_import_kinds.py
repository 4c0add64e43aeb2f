"""`import_registry` for each kind's own columns (SPEC §1, docs/import-formats.md): practitioners
at their institution, inspectors with their sectors and staff type (Y3.3), check items with their
methods and ratios, conflicts of interest between them."""

import datetime as dt
from decimal import Decimal

import pytest

from registry.models import CheckItem, Conflict, Inspector, Practitioner, Sector
from tests.factories import (
    InspectorFactory,
    InstitutionFactory,
    PractitionerFactory,
    make_id_number,
)
from tests.registry.import_files import SAMPLES, code, load_samples, run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


# -- practitioners ---------------------------------------------------------------------------------
PRACTITIONER_HEADER = ["执业证号", "姓名", "统一社会信用代码", "身份证号", "状态"]


def test_practitioner_with_unknown_credit_code(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    rows = [
        PRACTITIONER_HEADER,
        ["15001201910000101", "张三", firm.credit_code, make_id_number(1), "执业"],
        ["15001201910000102", "李四", code(77), make_id_number(2), "执业"],
    ]
    status, _out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 1
    assert f"第 3 行，统一社会信用代码：系统中没有统一社会信用代码“{code(77)}”" in err
    assert not Practitioner.objects.exists()


def test_practitioner_with_invalid_id_number(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    good = make_id_number(5)
    wrong = good[:17] + ("1" if good[17] == "0" else "0")
    rows = [
        PRACTITIONER_HEADER,
        ["15001201910000101", "张三", firm.credit_code, wrong, "执业"],
        ["15001201910000102", "李四", firm.credit_code, "12345", "执业"],
        ["15001201910000103", "王五", firm.credit_code, "", "执业"],  # optional
    ]
    status, _out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 1
    assert "第 2 行，身份证号：身份证号校验位错误" in err
    assert "第 3 行，身份证号：身份证号应为 18 位" in err
    assert "第 4 行" not in err
    assert not Practitioner.objects.exists()


def test_practitioner_lower_case_x_is_accepted(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    rows = [PRACTITIONER_HEADER, ["1500120191", "张三", firm.credit_code, "11010519491231002x", ""]]
    status, _out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 0, err
    person = Practitioner.objects.get()
    assert person.id_number == "11010519491231002X"
    assert person.status == Practitioner.Status.PRACTISING  # empty → default


def test_practitioner_moves_to_another_institution(tmp_path, jurisdiction):
    person = PractitionerFactory()
    other = InstitutionFactory()
    rows = [
        PRACTITIONER_HEADER,
        [person.certificate_number, person.name, other.credit_code, person.id_number, "执业"],
    ]
    status, out, err = run("practitioners", write_csv(tmp_path / "p.csv", rows))
    assert status == 0, err
    assert "更新 1" in out
    person.refresh_from_db()
    assert person.institution == other
    assert person.history.latest().history_type == "~"


# -- inspectors ------------------------------------------------------------------------------------
INSPECTOR_HEADER = ["执法证号", "姓名", "辖区代码", "证件有效期至", "可检查行业", "人员类别"]


def test_inspector_sectors_and_association_staff(tmp_path, jurisdiction):
    rows = [
        INSPECTOR_HEADER,
        ["500103009009", "协会人员", "500103", "2028-12-31", "律师、公证", "行业协会工作人员"],
        ["500103001009", "执法员", "500103", "2028/12/31", "律师，公证；司法鉴定", "司法行政机关"],
    ]
    status, out, err = run("inspectors", write_csv(tmp_path / "i.csv", rows))
    assert status == 0, err
    assert "新增 2" in out
    member = Inspector.objects.get(certificate_number="500103009009")
    assert member.staff_type == Inspector.StaffType.ASSOCIATION
    assert {s.code for s in member.sectors.all()} == {"lawyer", "notary"}
    assert member.certificate_valid_to == dt.date(2028, 12, 31)
    # Y3.3: association staff can never stand in for enforcement officers.
    lawyer = Sector.objects.get(code="lawyer")
    assert not member.eligible_on(dt.date(2027, 1, 4), lawyer)
    officer = Inspector.objects.get(certificate_number="500103001009")
    assert officer.staff_type == Inspector.StaffType.BUREAU
    assert {s.code for s in officer.sectors.all()} == {"lawyer", "notary", "appraisal"}
    assert officer.eligible_on(dt.date(2027, 1, 4), lawyer)


def test_inspector_sectors_change_on_reimport(tmp_path, jurisdiction):
    rows = [INSPECTOR_HEADER, ["500103001001", "甲", "500103", "2028-12-31", "律师、公证", "机关"]]
    assert run("inspectors", write_csv(tmp_path / "a.csv", rows))[0] == 0
    assert "未变 1" in run("inspectors", tmp_path / "a.csv")[1]
    rows[1][4] = "公证、仲裁"
    status, out, err = run("inspectors", write_csv(tmp_path / "b.csv", rows))
    assert status == 0, err
    assert "更新 1" in out
    inspector = Inspector.objects.get()
    assert {s.code for s in inspector.sectors.all()} == {"notary", "arbitration"}
    assert Inspector.objects.count() == 1


def test_inspector_bad_rows(tmp_path, jurisdiction):
    rows = [
        INSPECTOR_HEADER,
        ["500103001001", "甲", "500103", "2028-12-31", "律师、会计", "机关"],
        ["500103001002", "乙", "500103", "2028-12-31", "律师", "临时工"],
        ["500103001003", "丙", "500103", "明年", "律师", "机关"],
        ["500103001004", "丁", "500103", "2028-12-31", "", "机关"],
    ]
    status, _out, err = run("inspectors", write_csv(tmp_path / "i.csv", rows))
    assert status == 1
    assert "第 2 行，可检查行业：“会计”不是有效的行业" in err
    assert "第 3 行，人员类别：“临时工”不是有效的人员类别" in err
    assert "第 4 行，证件有效期至：“明年”不是有效日期" in err
    assert "第 5 行，可检查行业：必填，不能为空" in err
    assert not Inspector.objects.exists()


def test_inspector_certificate_expired_before_the_default_start(tmp_path, jurisdiction):
    """Without a 证件有效期起 column the start defaults to 2020-01-01; an end before it is a row
    error, not a database crash (the check constraint inspector_certificate_range)."""
    rows = [INSPECTOR_HEADER, ["500103001001", "甲", "500103", "2019-06-30", "律师", "机关"]]
    status, _out, err = run("inspectors", write_csv(tmp_path / "i.csv", rows))
    assert status == 1
    assert "第 2 行，证件有效期至：" in err
    assert not Inspector.objects.exists()


# -- check items -----------------------------------------------------------------------------------
CHECK_ITEM_HEADER = ["事项编码", "行业", "事项名称", "抽查内容", "抽查依据", "抽查主体", "抽查方式"]
CHECK_ITEM_HEADER += ["抽查比例", "抽查频次"]


def check_item_row(code_: str, methods: str = "现场检查", ratio: str = "5%", freq: str = "1"):
    return [code_, "律师", "执业许可证使用", "检查是否出借", "《律师法》", "区司法局"] + [
        methods,
        ratio,
        freq,
    ]


def test_check_items_methods_and_ratio(tmp_path):
    rows = [
        CHECK_ITEM_HEADER,
        check_item_row("LS-01", "现场检查、信息系统核查", "5%"),
        check_item_row("LS-02", "案卷评查，电话回访当事人", "12.5 ％", "2次/年"),
    ]
    status, out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 0, err
    first = CheckItem.objects.get(code="LS-01")
    assert first.methods == ["on_site", "system"]
    assert first.default_ratio == Decimal(5)
    assert first.get_methods_display() == "现场检查、信息系统核查"
    assert first.effective_from == dt.date(2020, 1, 1)  # model default for an absent column
    second = CheckItem.objects.get(code="LS-02")
    assert second.methods == ["case_file", "phone"]
    assert second.default_ratio == Decimal("12.5")
    assert second.frequency_per_year == 2
    assert "未变 2" in run("check-items", tmp_path / "c.csv")[1]


def test_check_items_bad_cells(tmp_path):
    rows = [
        CHECK_ITEM_HEADER,
        check_item_row("LS-01", "飞行检查"),
        check_item_row("LS-02", ratio="150%"),
        check_item_row("LS-03", ratio="五"),
        check_item_row("LS-04", freq="0"),
        check_item_row("LS-01"),
    ]
    status, _out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，抽查方式：“飞行检查”不是有效的抽查方式" in err
    assert "第 3 行，抽查比例：比例应在 0% 到 100% 之间" in err
    assert "第 4 行，抽查比例：“五”不是百分比" in err
    assert "第 5 行，抽查频次：不能小于 1" in err
    # Row 2 was itself bad, so row 6 (same code) is not reported as its duplicate.
    assert "第 6 行" not in err
    assert not CheckItem.objects.exists()


def test_numbers_beyond_the_database_range_are_row_errors(tmp_path, jurisdiction):
    """A typo like 100000 次/年 must be a row error, not a database overflow (PostgreSQL's
    smallint) halfway through the import."""
    rows = [[*CHECK_ITEM_HEADER, "排序"], [*check_item_row("LS-01", freq="100000"), "1"]]
    rows.append([*check_item_row("LS-02"), "99999999999"])
    status, _out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，抽查频次：不能大于 32767" in err
    assert "第 3 行，排序：不能大于 2147483647" in err
    assert not CheckItem.objects.exists()


def test_xlsx_boolean_cells(tmp_path):
    """TRUE/FALSE typed in Excel are boolean cells; 重点事项 reads them as 是/否."""
    header = [*CHECK_ITEM_HEADER, "重点事项"]
    rows = [header, [*check_item_row("LS-01"), True], [*check_item_row("LS-02"), False]]
    status, _out, err = run("check-items", write_xlsx(tmp_path / "b.xlsx", rows))
    assert status == 0, err
    assert CheckItem.objects.get(code="LS-01").is_key is True
    assert CheckItem.objects.get(code="LS-02").is_key is False


def test_check_item_ending_before_the_default_start(tmp_path):
    """Same trap as the inspectors: 失效日期 before the default 生效日期 (2020-01-01)."""
    rows = [[*CHECK_ITEM_HEADER, "失效日期"], [*check_item_row("LS-01"), "2019-12-31"]]
    status, _out, err = run("check-items", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，失效日期：" in err
    assert not CheckItem.objects.exists()


# -- conflicts -------------------------------------------------------------------------------------
CONFLICT_HEADER = ["执法证号", "统一社会信用代码", "关系类型", "执业证号", "说明"]


def test_conflict_practitioner_must_work_at_that_institution(tmp_path, jurisdiction):
    inspector = InspectorFactory()
    firm, other = InstitutionFactory(), InstitutionFactory()
    person = PractitionerFactory(institution=firm)
    rows = [
        CONFLICT_HEADER,
        [inspector.certificate_number, firm.credit_code, "近亲属", person.certificate_number, ""],
        [inspector.certificate_number, other.credit_code, "近亲属", person.certificate_number, ""],
    ]
    status, _out, err = run("conflicts", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 3 行，执业证号：该执业人员不在此统一社会信用代码的机构执业" in err
    assert "第 2 行" not in err
    assert not Conflict.objects.exists()


def test_conflict_unknown_references(tmp_path, jurisdiction):
    firm = InstitutionFactory()
    rows = [
        CONFLICT_HEADER,
        ["999999", firm.credit_code, "近亲属", "", ""],
        [InspectorFactory().certificate_number, firm.credit_code, "同学", "000", ""],
    ]
    status, _out, err = run("conflicts", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 2 行，执法证号：系统中没有执法证号“999999”" in err
    assert "第 3 行，关系类型：“同学”不是有效的关系类型" in err
    assert "第 3 行，执业证号：系统中没有执业证号“000”" in err


def test_conflicts_reimport_is_idempotent(jurisdiction):
    load_samples()
    for _ in range(2):
        status, out, err = run("conflicts", SAMPLES / "conflicts.csv")
        assert status == 0, err
        assert "共 2 行：新增 0，更新 0，未变 2。" in out
    assert Conflict.objects.count() == 2
    assert Conflict.history.count() == 2


def test_conflict_duplicate_within_the_file(tmp_path, jurisdiction):
    inspector, firm = InspectorFactory(), InstitutionFactory()
    row = [inspector.certificate_number, firm.credit_code, "曾任职", "", ""]
    rows = [CONFLICT_HEADER, row, [*row[:4], "同一关系"]]
    status, _out, err = run("conflicts", write_csv(tmp_path / "c.csv", rows))
    assert status == 1
    assert "第 3 行，执法证号：与第 2 行重复" in err
    assert not Conflict.objects.exists()


def test_conflict_note_updates(tmp_path, jurisdiction):
    load_samples()
    text = (SAMPLES / "conflicts.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "conflicts.csv"
    path.write_text(text.replace("配偶在该所执业", "配偶已离职"), encoding="utf-8")
    status, out, err = run("conflicts", path)
    assert status == 0, err
    assert "更新 1，未变 1" in out
    assert Conflict.objects.get(kind=Conflict.Kind.KINSHIP).note == "配偶已离职"
