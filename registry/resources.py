"""Exports (django-import-export) with the same Chinese columns that `import_registry` reads, so an
exported file can be edited and imported back — in the two formats it reads, with no cell that a
spreadsheet would run as a formula (core.spreadsheets)."""

import tablib
from import_export import fields, resources
from import_export.formats import base_formats

from core.spreadsheets import csv_row, xlsx_bytes
from registry.models import CheckItem, Conflict, Inspector, Institution, Practitioner
from registry.validators import mask_id_number, mask_phone


class SafeCSV(base_formats.CSV):
    """CSV whose formula-like texts carry a leading apostrophe. (The library's
    IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops a leading "=", which changes the text, and
    lets + - @ tab CR through.)"""

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(*(csv_row(row) for row in dataset), headers=dataset.headers)
        return safe.export(self.get_title(), **kwargs)


class SafeXLSX(base_formats.XLSX):
    """xlsx whose texts are text cells, never formulae."""

    def export_data(self, dataset, **kwargs):
        return xlsx_bytes(dataset.headers, dataset, title=dataset.title or "")


EXPORT_FORMATS = [SafeCSV, SafeXLSX]


# Each resource declares its columns in the order the import reads them (registry.imports.kinds);
# its Meta names them again because django-import-export exports only the fields listed there.
def _col(attribute: str, header: str) -> fields.Field:
    """A column: a field, a path through relations ("sector__name") or a method of the model's
    ("get_status_display", a choice written as its label, as the import reads it back)."""
    return fields.Field(attribute=attribute, column_name=header)


class InstitutionResource(resources.ModelResource):
    credit_code = _col("credit_code", "统一社会信用代码")
    name = _col("name", "机构名称")
    sector = _col("sector__name", "行业")
    jurisdiction = _col("jurisdiction__code", "辖区代码")
    licence_number = _col("licence_number", "执业许可证号")
    person_in_charge = _col("person_in_charge", "负责人")
    address = _col("address", "地址")
    status = _col("get_status_display", "状态")
    founded_on = _col("founded_on", "成立日期")
    size = _col("size", "规模")

    class Meta:
        model = Institution
        fields = export_order = (
            "credit_code",
            "name",
            "sector",
            "jurisdiction",
            "licence_number",
            "person_in_charge",
            "address",
            "status",
            "founded_on",
            "size",
        )

    def get_queryset(self):
        return super().get_queryset().select_related("sector", "jurisdiction")


class PractitionerResource(resources.ModelResource):
    """ID numbers and phones are exported in full only to users allowed to see personal data."""

    certificate_number = _col("certificate_number", "执业证号")
    name = _col("name", "姓名")
    institution = _col("institution__credit_code", "统一社会信用代码")
    id_number = fields.Field(column_name="身份证号")
    status = _col("get_status_display", "状态")
    phone = fields.Field(column_name="联系电话")

    class Meta:
        model = Practitioner
        fields = export_order = (
            "certificate_number",
            "name",
            "institution",
            "id_number",
            "status",
            "phone",
        )

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.show_personal = user is not None and user.has_perm("registry.view_personal_data")

    def dehydrate_id_number(self, obj):
        return obj.id_number if self.show_personal else mask_id_number(obj.id_number)

    def dehydrate_phone(self, obj):
        return obj.phone if self.show_personal else mask_phone(obj.phone)

    def get_queryset(self):
        return super().get_queryset().select_related("institution")


class InspectorResource(resources.ModelResource):
    certificate_number = _col("certificate_number", "执法证号")
    name = _col("name", "姓名")
    jurisdiction = _col("jurisdiction__code", "辖区代码")
    certificate_valid_to = _col("certificate_valid_to", "证件有效期至")
    sectors = fields.Field(column_name="可检查行业")
    staff_type = _col("get_staff_type_display", "人员类别")
    status = _col("get_status_display", "状态")
    certificate_valid_from = _col("certificate_valid_from", "证件有效期起")
    issuing_authority = _col("issuing_authority", "发证机关")

    class Meta:
        model = Inspector
        fields = export_order = (
            "certificate_number",
            "name",
            "jurisdiction",
            "certificate_valid_to",
            "sectors",
            "staff_type",
            "status",
            "certificate_valid_from",
            "issuing_authority",
        )

    def dehydrate_sectors(self, obj):
        return "、".join(s.name for s in obj.sectors.all())

    def get_queryset(self):
        return super().get_queryset().select_related("jurisdiction").prefetch_related("sectors")


class CheckItemResource(resources.ModelResource):
    code = _col("code", "事项编码")
    sector = _col("sector__name", "行业")
    name = _col("name", "事项名称")
    content = _col("content", "抽查内容")
    legal_basis = _col("legal_basis", "抽查依据")
    organizing_body = _col("organizing_body", "抽查主体")
    methods = _col("get_methods_display", "抽查方式")
    default_ratio = fields.Field(column_name="抽查比例")
    frequency_per_year = _col("frequency_per_year", "抽查频次")
    is_key = fields.Field(column_name="重点事项")
    effective_from = _col("effective_from", "生效日期")
    effective_to = _col("effective_to", "失效日期")
    order = _col("order", "排序")

    class Meta:
        model = CheckItem
        fields = export_order = (
            "code",
            "sector",
            "name",
            "content",
            "legal_basis",
            "organizing_body",
            "methods",
            "default_ratio",
            "frequency_per_year",
            "is_key",
            "effective_from",
            "effective_to",
            "order",
        )

    def dehydrate_default_ratio(self, obj):
        return f"{obj.default_ratio.normalize():f}%"

    def dehydrate_is_key(self, obj):
        return "是" if obj.is_key else "否"

    def get_queryset(self):
        return super().get_queryset().select_related("sector")


class ConflictResource(resources.ModelResource):
    inspector = _col("inspector__certificate_number", "执法证号")
    institution = _col("institution__credit_code", "统一社会信用代码")
    kind = _col("get_kind_display", "关系类型")
    practitioner = _col("practitioner__certificate_number", "执业证号")
    note = _col("note", "说明")
    valid_from = _col("valid_from", "起始日期")
    valid_to = _col("valid_to", "截止日期")
    source = _col("get_source_display", "来源")

    class Meta:
        model = Conflict
        fields = export_order = (
            "inspector",
            "institution",
            "kind",
            "practitioner",
            "note",
            "valid_from",
            "valid_to",
            "source",
        )

    def get_queryset(self):
        return super().get_queryset().select_related("inspector", "institution", "practitioner")
