"""What each import KIND reads: its Chinese columns, how a row becomes model fields, its natural
key. The column names are an interface that bureaus rely on (docs/import-formats.md)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.imports.cells import (
    CellError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_multi,
    parse_percent,
    parse_text,
)
from registry.models import (
    CheckItem,
    Conflict,
    Inspector,
    Institution,
    Jurisdiction,
    Method,
    Practitioner,
    Sector,
)
from registry.validators import credit_code_error, id_number_error


def _choices(enum, aliases: dict[str, str] | None = None) -> dict[str, str]:
    mapping = {str(label): value for value, label in enum.choices}
    mapping.update({value: value for value in enum.values})
    mapping.update(aliases or {})
    return mapping


INSTITUTION_STATUS = _choices(Institution.Status, {"正常": "practising", "执业中": "practising"})
PRACTITIONER_STATUS = _choices(Practitioner.Status, {"正常": "practising", "执业中": "practising"})
INSPECTOR_STATUS = _choices(
    Inspector.Status, {"正常": "active", "有效": "active", "暂停": "suspended"}
)
STAFF_TYPE = _choices(
    Inspector.StaffType,
    {
        "机关": "bureau",
        "行政机关": "bureau",
        "司法行政机关": "bureau",
        "机关工作人员": "bureau",
        "协会": "association",
        "行业协会": "association",
        "协会工作人员": "association",
    },
)
METHODS = _choices(
    Method,
    {
        "现场": "on_site",
        "信息系统": "system",
        "系统核查": "system",
        "电话回访": "phone",
        "书面检查": "written",
        "网上检查": "written",
        "书面": "written",
        "案卷": "case_file",
    },
)
CONFLICT_KIND = _choices(
    Conflict.Kind,
    {
        "任职": "employment",
        "曾任职": "employment",
        "近亲属": "kinship",
        "亲属": "kinship",
        "经济利益": "financial",
        "纠纷": "dispute",
        "其他": "other",
    },
)
CONFLICT_SOURCE = _choices(Conflict.Source, {"申报": "self", "举报": "reported", "核实": "staff"})


class Lookups:
    """Reference data the rows point at, loaded once per import (a few queries, no N+1)."""

    @cached_property
    def sectors(self) -> dict[str, int]:
        return {s.name: s.id for s in Sector.objects.all()}

    @cached_property
    def sector_codes(self) -> dict[int, str]:
        return dict(Sector.objects.values_list("id", "code"))

    @cached_property
    def jurisdictions(self) -> dict[str, int]:
        return dict(Jurisdiction.objects.values_list("code", "id"))

    @cached_property
    def institutions(self) -> dict[str, int]:
        return dict(Institution.objects.values_list("credit_code", "id").iterator(chunk_size=20000))

    @cached_property
    def inspectors(self) -> dict[str, int]:
        return dict(Inspector.objects.values_list("certificate_number", "id"))

    @cached_property
    def practitioners(self) -> dict[str, tuple[int, int]]:
        rows = Practitioner.objects.values_list("certificate_number", "id", "institution_id")
        return {cert: (pk, inst) for cert, pk, inst in rows.iterator(chunk_size=20000)}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Callable[[str, Lookups], Any]
    required: bool = False


def lookup(table: str, what: str) -> Callable[[str, Lookups], int]:
    def parse(value: str, lk: Lookups) -> int:
        try:
            return getattr(lk, table)[value]
        except KeyError:
            raise CellError(_("系统中没有%(what)s“%(v)s”") % {"what": what, "v": value}) from None

    return parse


def credit_code(value: str, lk: Lookups) -> str:
    value = value.upper()
    error = credit_code_error(value)
    if error:
        raise CellError(error)
    return value


def id_number(value: str, lk: Lookups) -> str:
    value = value.upper()
    if value and (error := id_number_error(value)):
        raise CellError(error)
    return value


def text(max_length: int) -> Callable[[str, Lookups], str]:
    return lambda value, lk: parse_text(value, max_length)


def choice(mapping: dict[str, str], label: str) -> Callable[[str, Lookups], str]:
    return lambda value, lk: parse_choice(value, mapping, label)


def sectors_of(value: str, lk: Lookups) -> list[int]:
    return parse_multi(value, lk.sectors, _("行业"))


def date(value: str, lk: Lookups):
    return parse_date(value)


def integer(value: str, lk: Lookups):
    return parse_int(value)


# The references more than one kind makes.
SECTOR = lookup("sectors", gettext_lazy("行业"))
JURISDICTION = lookup("jurisdictions", gettext_lazy("辖区代码"))
INSTITUTION = lookup("institutions", gettext_lazy("统一社会信用代码"))


@dataclass
class ImportKind:
    """One KIND of `import_registry`."""

    name: str
    model: type[models.Model]
    key_fields: tuple[str, ...]
    columns: list[Column]
    defaults: dict[str, Any] = field(default_factory=dict)
    m2m: str | None = None  # a list-valued field written to a many-to-many relation

    def check(self, values: dict[str, Any], lk: Lookups) -> list[tuple[str, str]]:
        """Cross-field rules; (column, reason) pairs."""
        return CHECKS.get(self.name, lambda v, lk: [])(values, lk)

    def key(self, values: dict[str, Any]) -> tuple:
        return tuple(values.get(f) for f in self.key_fields)


def _check_institution(values, lk: Lookups) -> list[tuple[str, str]]:
    sector = Sector(code=lk.sector_codes[values["sector_id"]])
    error = sector.credit_code_error(values["credit_code"])
    return [("统一社会信用代码", error)] if error else []


def _check_conflict(values, lk: Lookups) -> list[tuple[str, str]]:
    errors = []
    practitioner = values.pop("_practitioner", None)
    if practitioner:
        pk, institution_id = practitioner
        if institution_id != values["institution_id"]:
            errors.append(("执业证号", _("该执业人员不在此统一社会信用代码的机构执业")))
        values["practitioner_id"] = pk
    else:
        values["practitioner_id"] = None
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end and end < start:
        errors.append(("截止日期", _("截止日期早于起始日期")))
    return errors


def _start(values, model: type[models.Model], name: str):
    """The start of a date range; without its column a new row gets the model default, which the
    database's range constraint checks too — so check against it here, as a row error."""
    if name in values:
        return values[name]
    return model._meta.get_field(name).get_default()


def _check_inspector(values, lk: Lookups) -> list[tuple[str, str]]:
    start = _start(values, Inspector, "certificate_valid_from")
    end = values.get("certificate_valid_to")
    if start and end and end < start:
        return [("证件有效期至", _("有效期至早于有效期起（%(d)s）") % {"d": start})]
    return []


def _check_item(values, lk: Lookups) -> list[tuple[str, str]]:
    start, end = _start(values, CheckItem, "effective_from"), values.get("effective_to")
    if start and end and end < start:
        return [("失效日期", _("失效日期早于生效日期（%(d)s）") % {"d": start})]
    return []


CHECKS = {
    "institutions": _check_institution,
    "conflicts": _check_conflict,
    "inspectors": _check_inspector,
    "check-items": _check_item,
}


# Each kind spelled out column by column, alike in shape but kept as a table: the columns are the
# interface bureaus fill in (docs/import-formats.md), and each reads best beside its header.
KINDS: dict[str, ImportKind] = {
    "institutions": ImportKind(
        name="institutions",
        model=Institution,
        key_fields=("credit_code",),
        columns=[
            Column("统一社会信用代码", "credit_code", credit_code, required=True),
            Column("机构名称", "name", text(200), required=True),
            Column("行业", "sector_id", SECTOR, required=True),
            Column("辖区代码", "jurisdiction_id", JURISDICTION, required=True),
            Column("执业许可证号", "licence_number", text(50)),
            Column("负责人", "person_in_charge", text(50)),
            Column("地址", "address", text(300)),
            Column("状态", "status", choice(INSTITUTION_STATUS, gettext_lazy("状态"))),
            Column("成立日期", "founded_on", date),
            Column("规模", "size", integer),
        ],
        defaults={"status": Institution.Status.PRACTISING},
    ),
    "practitioners": ImportKind(
        name="practitioners",
        model=Practitioner,
        key_fields=("certificate_number",),
        columns=[
            Column("执业证号", "certificate_number", text(30), required=True),
            Column("姓名", "name", text(50), required=True),
            Column("统一社会信用代码", "institution_id", INSTITUTION, required=True),
            Column("身份证号", "id_number", id_number),
            Column("状态", "status", choice(PRACTITIONER_STATUS, gettext_lazy("状态"))),
            Column("联系电话", "phone", text(20)),
        ],
        defaults={"status": Practitioner.Status.PRACTISING},
    ),
    "inspectors": ImportKind(
        name="inspectors",
        model=Inspector,
        key_fields=("certificate_number",),
        columns=[
            Column("执法证号", "certificate_number", text(30), required=True),
            Column("姓名", "name", text(50), required=True),
            Column("辖区代码", "jurisdiction_id", JURISDICTION, required=True),
            Column("证件有效期至", "certificate_valid_to", date, required=True),
            Column("可检查行业", "sectors", sectors_of, required=True),
            Column(
                "人员类别",
                "staff_type",
                choice(STAFF_TYPE, gettext_lazy("人员类别")),
                required=True,
            ),
            Column("状态", "status", choice(INSPECTOR_STATUS, gettext_lazy("状态"))),
            Column("证件有效期起", "certificate_valid_from", date),
            Column("发证机关", "issuing_authority", text(100)),
        ],
        m2m="sectors",
    ),
    "check-items": ImportKind(
        name="check-items",
        model=CheckItem,
        key_fields=("code",),
        columns=[
            Column("事项编码", "code", text(30), required=True),
            Column("行业", "sector_id", SECTOR, required=True),
            Column("事项名称", "name", text(200), required=True),
            Column("抽查内容", "content", text(5000), required=True),
            Column("抽查依据", "legal_basis", text(5000), required=True),
            Column("抽查主体", "organizing_body", text(100), required=True),
            Column(
                "抽查方式",
                "methods",
                lambda v, lk: parse_multi(v, METHODS, gettext_lazy("抽查方式")),
                required=True,
            ),
            Column("抽查比例", "default_ratio", lambda v, lk: parse_percent(v), required=True),
            Column(
                "抽查频次",
                "frequency_per_year",
                # PositiveSmallIntegerField: PostgreSQL's smallint.
                lambda v, lk: parse_int(v, minimum=1, maximum=32767),
                required=True,
            ),
            Column("重点事项", "is_key", lambda v, lk: parse_bool(v)),
            Column("生效日期", "effective_from", date),
            Column("失效日期", "effective_to", date),
            Column("排序", "order", integer),
        ],
    ),
    "conflicts": ImportKind(
        name="conflicts",
        model=Conflict,
        key_fields=("inspector_id", "institution_id", "practitioner_id", "kind"),
        columns=[
            Column(
                "执法证号",
                "inspector_id",
                lookup("inspectors", gettext_lazy("执法证号")),
                required=True,
            ),
            Column("统一社会信用代码", "institution_id", INSTITUTION, required=True),
            Column(
                "关系类型", "kind", choice(CONFLICT_KIND, gettext_lazy("关系类型")), required=True
            ),
            Column("执业证号", "_practitioner", lookup("practitioners", gettext_lazy("执业证号"))),
            Column("说明", "note", text(2000)),
            Column("起始日期", "valid_from", date),
            Column("截止日期", "valid_to", date),
            Column("来源", "source", choice(CONFLICT_SOURCE, gettext_lazy("来源"))),
        ],
    ),
}
