"""The registry of inspectors and their conflicts of interest."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import resources
from registry.admin.common import SpreadsheetAdmin
from registry.models import Conflict, Inspector


@admin.register(Inspector)
class InspectorAdmin(SpreadsheetAdmin):
    import_kind = "inspectors"
    resource_classes = [resources.InspectorResource]
    list_display = [
        "name",
        "certificate_number",
        "jurisdiction",
        "staff_type",
        "status",
        "certificate_valid_to",
        "sectors_display",
        "eligibility",
    ]
    list_filter = ["staff_type", "status", "sectors", "jurisdiction"]
    search_fields = ["name", "certificate_number"]
    list_select_related = ["jurisdiction"]
    filter_horizontal = ["sectors"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("sectors")

    @admin.display(description=_("可检查行业"))
    def sectors_display(self, obj):
        return "、".join(str(s) for s in obj.sectors.all())

    @admin.display(description=_("今日可否抽取"))
    def eligibility(self, obj):
        reasons = obj.ineligibility_reasons(timezone.localdate())
        if not reasons:
            return format_html('<span class="tone-good">✔ {}</span>', gettext("可抽取"))
        return format_html(
            '<span class="tone-bad">✘ {}</span>',
            format_html_join("；", "{}", ((r,) for r in reasons)),
        )


@admin.register(Conflict)
class ConflictAdmin(SpreadsheetAdmin):
    import_kind = "conflicts"
    resource_classes = [resources.ConflictResource]
    list_display = [
        "inspector",
        "institution",
        "practitioner",
        "kind",
        "valid_from",
        "valid_to",
        "source",
    ]
    list_filter = ["kind", "source"]
    search_fields = [
        "inspector__name",
        "inspector__certificate_number",
        "institution__name",
        "=institution__credit_code",
        "practitioner__name",
    ]
    list_select_related = ["inspector", "institution", "practitioner"]
    autocomplete_fields = ["inspector", "institution", "practitioner"]
