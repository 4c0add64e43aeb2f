"""The check-item list (抽查事项清单)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry import resources
from registry.admin.common import RegistryAdmin, SafeExportMixin, SpreadsheetImportMixin
from registry.models import CheckItem, Method


class CheckItemForm(forms.ModelForm):
    methods = forms.MultipleChoiceField(
        label=_("抽查方式"), choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = CheckItem
        fields = [
            "sector",
            "code",
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
        ]


@admin.register(CheckItem)
class CheckItemAdmin(SpreadsheetImportMixin, SafeExportMixin, RegistryAdmin):
    import_kind = "check-items"
    resource_classes = [resources.CheckItemResource]
    form = CheckItemForm
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
