"""The office's screens for the one list and two registries (Chinese admin, history on every model,
exports through django-import-export, imports through the same pipeline as `import_registry`)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import ServiceError
from registry import resources
from registry.imports import registry_import_file, uploads
from registry.models import (
    CheckItem,
    Conflict,
    Inspector,
    Institution,
    Jurisdiction,
    Method,
    Practitioner,
    RiskPolicy,
    RiskRefresh,
    RiskTier,
    Sector,
    SupervisionRecord,
)
from registry.services import institution_risk_refresh
from registry.validators import mask_id_number, mask_phone

UPLOAD_DIR = uploads.UPLOAD_DIR
MAX_ERRORS_SHOWN = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("表格文件"),
        help_text=_(".xlsx 或 UTF-8 编码的 .csv；表头为中文列名，见导入格式说明。"),
    )


class SpreadsheetImportMixin:
    """An "import" page in the changelist: check the file first (nothing written), show every bad
    row or what would change, then import on confirmation — all or nothing."""

    import_kind: str = ""
    change_list_template = "admin/registry/change_list_import.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import-spreadsheet/",
                self.admin_site.admin_view(self.spreadsheet_import_view),
                name="{}_{}_spreadsheet_import".format(*info),
            ),
        ] + super().get_urls()

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def spreadsheet_import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("从表格导入：%(name)s") % {"name": self.opts.verbose_name_plural},
            "kind": self.import_kind,
            "upload_minutes": settings.IMPORT_UPLOAD_MAX_AGE // 60,
        }
        if request.method == "POST" and request.POST.get("cancel"):
            return self._cancel(request, request.POST["cancel"])
        if request.method == "POST" and request.POST.get("token"):
            return self._confirm(request, request.POST["token"])
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            self._check(request, form, context)
        context["form"] = form
        return TemplateResponse(request, "admin/registry/spreadsheet_import.html", context)

    # The file waiting for its confirmation is this session's, one per kind: a new upload
    # replaces it, and no one else can confirm it (registry.imports.uploads).
    def _session_key(self) -> str:
        return f"registry-import-upload:{self.import_kind}"

    def _waiting(self, request, token: str) -> bool:
        return request.session.get(self._session_key()) == token

    def _forget(self, request) -> None:
        token = request.session.pop(self._session_key(), None)
        if token:
            uploads.upload_discard(token)

    def _check(self, request, form, context) -> None:
        self._forget(request)  # replaced by this upload
        token = uploads.upload_store(form.cleaned_data["file"])
        try:
            result = registry_import_file(
                kind=self.import_kind, path=uploads.upload_path(token), dry_run=True
            )
        except ServiceError as exc:
            uploads.upload_discard(token)
            form.add_error("file", str(exc))
            return
        except BaseException:
            uploads.upload_discard(token)  # a crash must not leave the file behind
            raise
        if result.ok:
            uploads.upload_touch(token)
            request.session[self._session_key()] = token
            context["token"] = token
        else:
            uploads.upload_discard(token)
        context["result"] = result
        context["errors_shown"] = result.errors[:MAX_ERRORS_SHOWN]
        context["file_name"] = form.cleaned_data["file"].name

    def _token(self, value: str) -> str:
        try:
            return uploads.upload_token(value)
        except ValueError as exc:
            raise PermissionDenied from exc

    def _cancel(self, request, value: str):
        token = self._token(value)
        if self._waiting(request, token):
            self._forget(request)
        messages.info(request, gettext("已取消导入，上传的文件已删除。"))
        return redirect(request.path)

    def _confirm(self, request, value: str):
        token = self._token(value)
        stored = uploads.upload_claim(token) if self._waiting(request, token) else None
        if stored is None:
            if self._waiting(request, token):
                self._forget(request)  # expired
            messages.error(request, gettext("上传的文件已失效，请重新上传。"))
            return redirect(request.path)
        request.session.pop(self._session_key(), None)
        try:
            result = registry_import_file(
                kind=self.import_kind,
                path=stored,
                user=request.user,
                reason=gettext("后台表格导入"),
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        finally:
            uploads.upload_discard(token)
        if result.ok:
            messages.success(request, gettext("导入完成：") + result.summary())
            info = self.opts.app_label, self.opts.model_name
            return redirect(reverse("admin:{}_{}_changelist".format(*info)))
        for error in result.errors[:20]:
            messages.error(request, str(error))
        return redirect(request.path)


class SafeExportMixin(ExportMixin):
    """django-import-export's export in the two formats the import reads back, neither of which
    writes a formula (registry.resources.EXPORT_FORMATS; docs/import-formats.md §2)."""

    export_formats = resources.EXPORT_FORMATS


class RegistryAdmin(SimpleHistoryAdmin):
    """Records are never deleted from the registries; their status changes instead (N6)."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


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


class SupervisionRecordInline(admin.TabularInline):
    model = SupervisionRecord
    extra = 0
    fields = ["kind", "date", "valid", "score", "ended_on", "reference", "description"]


@admin.register(Institution)
class InstitutionAdmin(SpreadsheetImportMixin, SafeExportMixin, RegistryAdmin):
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
        colour = {RiskTier.KEY: "#b3261e", RiskTier.REDUCED: "#1b6e3a"}.get(obj.risk_tier, "#444")
        return format_html(
            '<strong style="color:{}">{}</strong><br><small>{}</small>',
            colour,
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
class PractitionerAdmin(SpreadsheetImportMixin, SafeExportMixin, RegistryAdmin):
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
class RiskRefreshAdmin(admin.ModelAdmin):
    """When the tiers were last recomputed as a whole: written by the system only."""

    list_display = ["day", "started_at", "finished_at", "assessed", "changed"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(Inspector)
class InspectorAdmin(SpreadsheetImportMixin, SafeExportMixin, RegistryAdmin):
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
            return format_html('<span style="color:#1b6e3a">✔ {}</span>', gettext("可抽取"))
        return format_html(
            '<span style="color:#b3261e">✘ {}</span>',
            format_html_join("；", "{}", ((r,) for r in reasons)),
        )


@admin.register(Conflict)
class ConflictAdmin(SpreadsheetImportMixin, SafeExportMixin, RegistryAdmin):
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
