"""The registry of targets: institutions (with their supervision history and risk tier) and
practitioners, whose personal data only some may see."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from core.admin.common import render_page
from registry import resources
from registry.admin.common import SpreadsheetAdmin
from registry.models import Institution, Practitioner, RiskTier, SupervisionRecord
from registry.services import (
    institution_risk_refresh,
    personal_data_exported,
    personal_data_refused,
    personal_data_revealed,
)
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


PERSONAL_FIELDS = ("id_number", "phone")


class PractitionerForm(forms.ModelForm):
    """The ID number and phone are write-only on the page (issue 14 §4: shown masked everywhere,
    in full only on the audited reveal page): their inputs start empty, an empty input keeps the
    stored value, and the box beside each clears it."""

    clear_id_number = forms.BooleanField(label=_("清除身份证号"), required=False)
    clear_phone = forms.BooleanField(label=_("清除联系电话"), required=False)

    class Meta:
        model = Practitioner
        fields = ["institution", "name", "certificate_number", "status", *PERSONAL_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in PERSONAL_FIELDS:
            if name in self.fields:
                self.initial[name] = ""  # never rendered back into the page
                if self.instance.pk:
                    self.fields[name].help_text = _("留空则保持不变。")

    def _kept_or_new(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        clear = "clear_" + name
        cleared = self.fields[clear].widget.value_from_datadict(
            self.data, self.files, self.add_prefix(clear)
        )
        if self.instance.pk and not value and not cleared:
            return getattr(self.instance, name)
        return value

    def clean_id_number(self) -> str:
        return self._kept_or_new("id_number")

    def clean_phone(self) -> str:
        return self._kept_or_new("phone")


@admin.register(Practitioner)
class PractitionerAdmin(SpreadsheetAdmin):
    """Personal data (PIPL; issue 14 §4): the ID number and phone are masked in the list, on the
    page and in the history for everyone; those allowed to see them (registry.view_personal_data)
    open them on a page of their own, one practitioner at a time, and each opening is audited."""

    import_kind = "practitioners"
    resource_classes = [resources.PractitionerResource]
    form = PractitionerForm
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
    readonly_fields = ["id_masked", "phone_masked", "personal_data_link"]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/personal-data/",
                self.admin_site.admin_view(self.personal_data_view),
                name="{}_{}_personal_data".format(*info),
            ),
        ] + super().get_urls()

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    @sensitive_variables()
    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        personal = {"身份证号", "联系电话"} & set(data.headers or [])
        full = bool(personal) and request.user.has_perm("registry.view_personal_data")
        personal_data_exported(request=request, rows=len(data), full=full)
        return data

    def get_fields(self, request, obj=None):
        fields = ["institution", "name", "certificate_number", "status"]
        may_see = request.user.has_perm("registry.view_personal_data")
        if not may_see or (obj is not None and not self.has_change_permission(request, obj)):
            masked = ["id_masked", "phone_masked"]
            return fields + masked + (["personal_data_link"] if may_see else [])
        if obj is None:
            return [*fields, *PERSONAL_FIELDS]
        return fields + [
            "id_masked",
            "id_number",
            "clear_id_number",
            "phone_masked",
            "phone",
            "clear_phone",
            "personal_data_link",
        ]

    @method_decorator(sensitive_post_parameters(*PERSONAL_FIELDS))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("身份证号"))
    def id_masked(self, obj):
        return mask_id_number(obj.id_number)  # personal data: masked in lists

    @admin.display(description=_("联系电话"))
    def phone_masked(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("完整个人信息"))
    def personal_data_link(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:registry_practitioner_personal_data", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>', url, gettext("查看完整身份证号和联系电话（记入审计日志）")
        )

    @method_decorator(never_cache)
    def personal_data_view(self, request, object_id):
        """GET: what the page will show and that it is audited; POST: the full values, recorded
        as one audit event (GB/T 22239 8.1.4.3 安全审计: every staff view of a full ID number)."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not (
            self.has_view_permission(request, obj)
            and request.user.has_perm("registry.view_personal_data")
        ):
            personal_data_refused(request=request, practitioner=obj)
            raise PermissionDenied
        revealed = request.method == "POST"
        if revealed:
            personal_data_revealed(request=request, practitioner=obj)
        title = gettext("%(name)s的个人信息") % {"name": obj}
        return render_page(
            self,
            request,
            "admin/registry/practitioner_personal_data.html",
            title,
            original=obj,
            revealed=revealed,
            id_masked=mask_id_number(obj.id_number),
            phone_masked=mask_phone(obj.phone),
        )
