"""The registry of targets: institutions (with their supervision history and risk tier) and
practitioners, whose personal data only some may see."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import resources
from registry.admin.common import SpreadsheetAdmin
from registry.models import Institution, Practitioner, RiskTier, SupervisionRecord
from registry.services import institution_risk_refresh
from registry.validators import mask_id_number, mask_phone


class SupervisionRecordInline(admin.TabularInline):
    model = SupervisionRecord
    extra = 0
    fields = ["kind", "date", "valid", "score", "ended_on", "reference", "description"]


@admin.register(Institution)
class InstitutionAdmin(SpreadsheetAdmin):
    import_kind = "institutions"
    resource_classes = [resources.InstitutionResource]
    list_display = ["name", "credit_code", "sector", "jurisdiction", "status", "risk"]
    list_filter = ["sector", "status", "risk_tier", "jurisdiction"]
    search_fields = ["name", "credit_code", "licence_number"]
    list_select_related = ["sector", "jurisdiction"]
    readonly_fields = ["risk_tier", "risk_reasons_text", "risk_updated_at"]
    inlines = [SupervisionRecordInline]
    actions = ["refresh_risk"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "sector",
                    "name",
                    "credit_code",
                    "licence_number",
                    "jurisdiction",
                    "address",
                    "person_in_charge",
                    "status",
                    "founded_on",
                    "size",
                ]
            },
        ),
        (
            _("风险分级（由监管记录计算）"),
            {"fields": ["risk_tier", "risk_reasons_text", "risk_updated_at"]},
        ),
    ]

    @admin.display(description=_("风险等级及依据"), ordering="risk_tier")
    def risk(self, obj):
        tone = {RiskTier.KEY: "tone-bad", RiskTier.REDUCED: "tone-good"}.get(
            obj.risk_tier, "tone-plain"
        )
        return format_html(
            '<strong class="{}">{}</strong><br><small>{}</small>',
            tone,
            obj.get_risk_tier_display(),
            obj.risk_reasons_text,
        )

    @admin.display(description=_("风险等级依据"))
    def risk_reasons_text(self, obj):
        return obj.risk_reasons_text

    @admin.action(description=_("按监管记录重新计算风险等级"))
    def refresh_risk(self, request, queryset):
        changed = institution_risk_refresh(institution_ids=queryset.values_list("id", flat=True))
        self.message_user(
            request, gettext("已重新计算，%(n)s 家机构的风险等级有变化。") % {"n": changed}
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        institution_risk_refresh(institution_ids=[form.instance.pk])


@admin.register(Practitioner)
class PractitionerAdmin(SpreadsheetAdmin):
    import_kind = "practitioners"
    resource_classes = [resources.PractitionerResource]
    list_display = [
        "name",
        "certificate_number",
        "institution",
        "status",
        "id_masked",
        "phone_masked",
    ]
    list_filter = ["status", "institution__sector"]
    search_fields = ["name", "certificate_number", "institution__name", "=institution__credit_code"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.has_perm("registry.view_personal_data"):
            return fields
        # Personal data: masked for everyone else, on the page as in the list.
        return [{"id_number": "id_masked", "phone": "phone_masked"}.get(f, f) for f in fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("registry.view_personal_data"):
            readonly += ["id_masked", "phone_masked"]
        return readonly

    @admin.display(description=_("身份证号"))
    def id_masked(self, obj):
        return mask_id_number(obj.id_number)  # personal data: masked in lists

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone)
