"""The check-item list (抽查事项清单)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry import resources
from registry.admin.common import SpreadsheetAdmin
from registry.models import CheckItem, Method


@admin.register(CheckItem)
class CheckItemAdmin(SpreadsheetAdmin):
    import_kind = "check-items"
    resource_classes = [resources.CheckItemResource]
    list_display = [
        "code",
        "name",
        "sector",
        "methods_display",
        "default_ratio",
        "frequency_per_year",
        "is_key",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["sector", "is_key"]
    search_fields = ["code", "name", "content", "legal_basis"]
    list_select_related = ["sector"]

    @admin.display(description=_("抽查方式"))
    def methods_display(self, obj):
        return obj.get_methods_display()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "methods":  # check-boxes, not the JSON field's text box
            return forms.MultipleChoiceField(
                label=_("抽查方式"), choices=Method.choices, widget=forms.CheckboxSelectMultiple
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)
