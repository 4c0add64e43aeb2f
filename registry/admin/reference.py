"""Jurisdictions (with their deadline policy and neighbours) and the six fixed sectors."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.admin.common import RegistryAdmin
from registry.models import Jurisdiction, Sector


@admin.register(Jurisdiction)
class JurisdictionAdmin(RegistryAdmin):
    list_display = ["code", "name", "level", "parent", "publication_deadline_workdays"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    filter_horizontal = ["neighbours"]
    list_select_related = ["parent"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "credit_prefix"]

    @admin.display(description=_("统一社会信用代码前缀"))
    def credit_prefix(self, obj):
        return obj.credit_prefix

    def has_add_permission(self, request) -> bool:
        return False  # the six sectors of N5 are fixed

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
