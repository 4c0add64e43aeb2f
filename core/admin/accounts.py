"""Users and groups, with permission pickers that name each permission in the screens' language."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core import identity, roles, twofactor
from core.audit import audit_record
from core.models import AuditEvent

# Django stores each permission's name once, in English ("Can add log entry"), whatever language
# the screens speak: the user and group pickers name permissions from the model's verbose name.
DEFAULT_ACTIONS = {"add": _("增加"), "change": _("修改"), "delete": _("删除"), "view": _("查看")}


def model_label(model) -> str:
    """A model's name for people; simple-history's copies ("historical 检查任务", which it does
    not translate) as the history of the model they copy."""
    original = getattr(model, "instance_type", None)
    if original is None:
        return str(model._meta.verbose_name)
    owner = original._meta.auto_created  # the history of a many-to-many field
    if owner:
        field = next(f for f in owner._meta.many_to_many if f.remote_field.through is original)
        return gettext("%(model)s的%(field)s（历史记录）") % {
            "model": owner._meta.verbose_name,
            "field": field.verbose_name,
        }
    return gettext("%(model)s（历史记录）") % {"model": original._meta.verbose_name}


class PermissionField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        model = obj.content_type.model_class()
        if model is None:  # a model removed since
            return str(obj)
        action, _sep, rest = obj.codename.partition("_")
        if action in DEFAULT_ACTIONS and rest == model._meta.model_name:
            what = DEFAULT_ACTIONS[action]
        else:
            what = obj.name  # the project's own permissions are named in Chinese
        return f"{model._meta.app_config.verbose_name} | {model_label(model)} | {what}"


class PermissionLabels:
    """For UserAdmin and GroupAdmin: their permission pickers, labelled by PermissionField."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionField
            # django-axes' own models have no screens (AXES_ENABLE_ADMIN = False): their
            # permissions would grant nothing; the lockout screen's are core's (LoginLockout).
            kwargs.setdefault(
                "queryset",
                Permission.objects.exclude(content_type__app_label="axes").select_related(
                    "content_type"
                ),
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(get_user_model())
admin.site.unregister(Group)


class DutiesUserChangeForm(auth_admin.UserChangeForm):
    """三员分立 (issue 14 §2): the roles chosen here must not break the separation of duties (the
    database refuses them anyway: this says why, on the field)."""

    def clean(self):
        data = super().clean()
        if "groups" in self.fields and "groups" in data:
            try:
                roles.duties_check(
                    group_names=[g.name for g in data["groups"]],
                    is_superuser=data.get("is_superuser", self.instance.is_superuser),
                    has_own_permissions=bool(data.get("user_permissions")),
                )
            except forms.ValidationError as error:
                self.add_error("groups", error)
        for permission in data.get("user_permissions") or []:
            ct = permission.content_type
            if roles.screen_matches(roles.ADMIN_ONLY_SCREENS, ct.app_label, ct.model):
                self.add_error(
                    "user_permissions",
                    gettext("三员分立：“%(perm)s”只随管理员角色授予，不能另行授予。")
                    % {"perm": permission.name},
                )
        return data


@admin.register(get_user_model())
class UserAdmin(PermissionLabels, auth_admin.UserAdmin):
    form = DutiesUserChangeForm
    list_display = [*auth_admin.UserAdmin.list_display, "role_names", "second_factor"]
    list_filter = [*auth_admin.UserAdmin.list_filter]
    actions = ["reset_second_factor", "review_roles", "disable_accounts"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        """Only a superuser sees the superuser flag and permissions of one's own: everybody else's
        permissions come from their roles (issue 2 §5, issue 14 §2)."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "user_permissions"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # The three administrators' roles are given on the server (manage.py role_assign), never
        # on a screen: no administrator can make another.
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.exclude(name__in=roles.ADMIN_ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        """An administrator's account (system, security, audit) is read-only on the screens, its
        own included: its role is given and taken on the server; its password is its own
        (admin:password_change)."""
        if obj is not None and roles.admin_role_of(obj):
            return False
        return super().has_change_permission(request, obj)

    @admin.display(description=_("角色"))
    def role_names(self, user) -> str:
        return "、".join(sorted(g.name for g in user.groups.all())) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            # An initial password: its owner changes it at the first login (issue 14 §1).
            identity.password_change_require(user=obj, request=request)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        # Set by an administrator for someone else: an initial password again.
        if (
            request.method == "POST"
            and response.status_code == 302
            and str(id) != str(request.user.pk)
        ):
            user = self.get_object(request, id)
            if user is not None and user.has_usable_password():
                identity.password_change_require(user=user, request=request)
        return response

    @admin.display(description=_("身份验证器"), boolean=True)
    def second_factor(self, user) -> bool:
        return twofactor.has_confirmed_totp(user)

    def has_reset_second_factor_permission(self, request) -> bool:
        return request.user.has_perm(twofactor.RESET_PERMISSION)

    @admin.action(
        description=_("重置第二因素（下次登录时重新启用身份验证器）"),
        permissions=["reset_second_factor"],
    )
    def reset_second_factor(self, request, queryset):
        """For a lost phone (issue 14 §1): the security administrator's, by the permission to
        delete authenticators (core.twofactor.RESET_PERMISSION)."""
        count = sum(twofactor.second_factor_reset(user=user, request=request) for user in queryset)
        self.message_user(
            request,
            ngettext("已重置 %(n)d 个账号的第二因素。", "已重置 %(n)d 个账号的第二因素。", count)
            % {"n": count},
            messages.SUCCESS,
        )

    def has_review_roles_permission(self, request) -> bool:
        return request.user.has_perm("core.review_roles")

    @admin.action(
        description=_("复核所选账号的角色分配（记入安全审计）"), permissions=["review_roles"]
    )
    def review_roles(self, request, queryset):
        """The security administrator's review of who holds which role (issue 14 §2): each
        account's roles as they are now, in the audit trail, for the audit administrator."""
        users = list(queryset.prefetch_related("groups"))
        for user in users:
            audit_record(
                AuditEvent.Action.ROLE_REVIEWED,
                request=request,
                target=user,
                detail={
                    "roles": sorted(g.name for g in user.groups.all()),
                    "active": user.is_active,
                    "superuser": user.is_superuser,
                },
            )
        self.message_user(
            request,
            ngettext(
                "已复核 %(n)d 个账号的角色分配。", "已复核 %(n)d 个账号的角色分配。", len(users)
            )
            % {"n": len(users)},
            messages.SUCCESS,
        )

    @admin.action(description=_("停用所选账号（不能再登录）"), permissions=["review_roles"])
    def disable_accounts(self, request, queryset):
        """Stops an account that should no longer sign in; the three administrators' accounts
        are the server's (manage.py role_assign --revoke), and nobody disables their own."""
        done, refused = 0, []
        for user in queryset.filter(is_active=True):
            if roles.admin_role_of(user) or user.pk == request.user.pk:
                refused.append(user.username)
                continue
            user.is_active = False
            user.save(update_fields=["is_active"])
            audit_record(AuditEvent.Action.ACCOUNT_DISABLED, request=request, target=user)
            done += 1
        self.message_user(
            request,
            ngettext("已停用 %(n)d 个账号。", "已停用 %(n)d 个账号。", done) % {"n": done},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                gettext("未停用（管理员账号或本人账号）：%(names)s")
                % {"names": "、".join(refused)},
                messages.WARNING,
            )


@admin.register(Group)
class GroupAdmin(PermissionLabels, auth_admin.GroupAdmin):
    """The roles are definitions in code (core.roles.roles_sync, after every migrate): read here,
    changed by a release, never on a screen (issue 14 §2)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
