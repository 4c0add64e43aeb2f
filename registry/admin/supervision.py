"""Supervision records and risk policies, each write refreshing the risk tiers it touches, and
the log of whole recomputations."""

from django.contrib import admin

from core.admin.common import ReadOnlyAdmin
from registry.admin.common import RegistryAdmin
from registry.models import Institution, RiskPolicy, RiskRefresh, SupervisionRecord
from registry.services import institution_risk_refresh


@admin.register(SupervisionRecord)
class SupervisionRecordAdmin(RegistryAdmin):
    list_display = ["institution", "kind", "date", "valid", "score", "reference"]
    list_filter = ["kind", "valid", "date"]
    search_fields = ["institution__name", "=institution__credit_code", "reference"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        # A record moved to another institution changes the tiers of both.
        before = form.initial.get("institution") if change else None
        super().save_model(request, obj, form, change)
        institution_risk_refresh(institution_ids={obj.institution_id, before} - {None})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        institution_risk_refresh(institution_ids=[obj.institution_id])

    def delete_queryset(self, request, queryset):
        ids = set(queryset.values_list("institution_id", flat=True))
        super().delete_queryset(request, queryset)
        institution_risk_refresh(institution_ids=ids)


@admin.register(RiskRefresh)
class RiskRefreshAdmin(ReadOnlyAdmin):
    """When the tiers were last recomputed as a whole: written by the system only."""

    list_display = ["day", "started_at", "finished_at", "assessed", "changed"]
    date_hierarchy = "day"


@admin.register(RiskPolicy)
class RiskPolicyAdmin(RegistryAdmin):
    list_display = [
        "jurisdiction",
        "lookback_months",
        "key_valid_complaints",
        "key_satisfaction_below",
        "reduced_satisfaction_min",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._refresh(obj.jurisdiction_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._refresh(obj.jurisdiction_id)

    def delete_queryset(self, request, queryset):
        jurisdictions = list(queryset.values_list("jurisdiction_id", flat=True))
        super().delete_queryset(request, queryset)
        for jurisdiction_id in jurisdictions:
            self._refresh(jurisdiction_id)

    @staticmethod
    def _refresh(jurisdiction_id):
        ids = Institution.objects.filter(jurisdiction_id=jurisdiction_id).values("id")
        institution_risk_refresh(institution_ids=ids)
