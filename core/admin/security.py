"""The security administrator's screens (issue 14 §1): failed logins and locks as django-axes
counts them, read-only, with an action that lifts a lock; the admin's login form that names
until when a lock lasts; the password change that clears an initial password's flag."""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import identity
from core.admin.common import ReadOnlyMixin
from core.models import LoginLockout


class LockoutAdminAuthenticationForm(identity.LockoutMessageMixin, AdminAuthenticationForm):
    pass


admin.site.login_form = LockoutAdminAuthenticationForm


class OwnPasswordChangeView(PasswordChangeView):
    """The admin's "change password" (admin:password_change): the password is now the user's
    own, and an administrator's initial password no longer blocks the screens."""

    form_class = PasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("admin:password_change_done")

    def get_context_data(self, **kwargs):
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}

    def form_valid(self, form):
        response = super().form_valid(form)
        identity.password_change_done(request=self.request, user=form.user)
        return response


class LockedFilter(admin.SimpleListFilter):
    title = _("锁定状态")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("锁定中")), ("no", _("未锁定"))]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        locked = [row.pk for row in queryset if _until(row) is not None]
        if self.value() == "yes":
            return queryset.filter(pk__in=locked)
        return queryset.exclude(pk__in=locked)


def _until(row):
    until = identity.lockout_until(username=row.username, ip_address=row.ip_address)
    return until if until and until > timezone.now() else None


@admin.register(LoginLockout)
class LoginLockoutAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only: rows are written by the login attempts themselves. Unlocking forgets the failures
    of the row's account and of its address, so that neither limit still holds the lock."""

    list_display = [
        "attempt_time",
        "username",
        "ip_address",
        "path_info",
        "failures_since_start",
        "locked_until",
    ]
    list_filter = [LockedFilter, "path_info"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "attempt_time"
    # The form data axes keeps (password masked) stays off the screen: nothing there is needed.
    fields = [
        "username",
        "ip_address",
        "user_agent",
        "path_info",
        "failures_since_start",
        "attempt_time",
    ]
    readonly_fields = fields
    actions = ["unlock"]
    ordering = ["-attempt_time"]

    @admin.display(description=_("锁定至"))
    def locked_until(self, row):
        until = _until(row)
        return timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else "—"

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("core.unlock_loginlockout")

    @admin.action(description=_("解除所选账号和地址的登录锁定"), permissions=["unlock"])
    def unlock(self, request, queryset):
        rows = list(queryset)
        usernames = {row.username for row in rows if row.username}
        addresses = {row.ip_address for row in rows if row.ip_address}
        count = identity.lockout_lift(usernames=usernames, ip_addresses=addresses, request=request)
        self.message_user(
            request,
            ngettext(
                "已解除登录锁定：删除了 %(n)s 条失败记录。",
                "已解除登录锁定：删除了 %(n)s 条失败记录。",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )
