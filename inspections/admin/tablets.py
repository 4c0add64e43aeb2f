"""The bureau's tablets for the field screens (issue 14 §1; inspections.services.tablets): the
office registers one and reads its binding code once, issues a new code, stops a lost one."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ServiceError
from inspections.models import Tablet
from inspections.services import tablets as services


@admin.register(Tablet)
class TabletAdmin(admin.ModelAdmin):
    list_display = ["name", "bound_at", "last_login_at", "revoked_at", "registered_by"]
    fields = ["name"]
    actions = ["new_code", "revoke"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # stopped, never deleted: the audit trail names it

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "registered_by", "registered_at", "bound_at", "last_login_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else self.get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        tablet, code = services.tablet_register(name=obj.name, by=request.user, request=request)
        obj.pk = tablet.pk
        self._show_code(request, tablet, code)

    def _show_code(self, request, tablet, code: str) -> None:
        messages.warning(
            request,
            _(
                "“%(name)s”的绑定码：%(code)s（%(minutes)s 分钟内有效，只显示这一次）。"
                "在该平板上打开 /inspect/tablet/ 输入。"
            )
            % {"name": tablet.name, "code": code, "minutes": services.BINDING_CODE_MINUTES},
        )

    @admin.action(description=gettext_lazy("生成新的绑定码（原绑定失效）"), permissions=["change"])
    def new_code(self, request, queryset) -> None:
        for tablet in queryset:
            try:
                code = services.tablet_new_code(tablet=tablet, by=request.user, request=request)
            except ServiceError as error:
                self.message_user(request, f"{tablet}: {error.message}", messages.ERROR)
            else:
                self._show_code(request, tablet, code)

    @admin.action(description=gettext_lazy("停用（丢失、报废）"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        for tablet in queryset.filter(revoked_at__isnull=True):
            services.tablet_revoke(tablet=tablet, by=request.user, request=request)
        self.message_user(request, _("已停用所选平板。"), messages.SUCCESS)
