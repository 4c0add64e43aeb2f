"""Users and groups, with permission pickers that name each permission in the screens' language."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core import identity, twofactor

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


@admin.register(get_user_model())
class UserAdmin(PermissionLabels, auth_admin.UserAdmin):
    list_display = [*auth_admin.UserAdmin.list_display, "second_factor"]
    actions = ["reset_second_factor"]

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


@admin.register(Group)
class GroupAdmin(PermissionLabels, auth_admin.GroupAdmin):
    pass
