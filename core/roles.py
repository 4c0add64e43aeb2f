"""The roles of the bureau as Django groups, with least privilege (issue 2 §5), and the three
separated administrators (三员分立, issue 14 §2).

Groups are (re)synchronised after every migrate so that new models get their permissions granted
to the right roles; a group's permissions are exactly those listed here.

The system, security and audit administrators each keep one room of the platform's own
administration (ADMIN_SCREENS) and none of the business: no account holds two of them, none holds
one together with a business role, a superuser flag or permissions of its own, and their groups
grant only permissions of their own screens. PostgreSQL refuses every such row (core migration
0010, triggers on auth_user, auth_user_groups, auth_user_user_permissions, auth_group and
auth_group_permissions); `duties_check` says the same in Python first, with a clear message, and
SeparationOfDutiesMiddleware keeps the holders of these roles out of every other screen.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit_events import role_definitions_sync

# The three separated administrators (三员, GB/T 22239-2019 8.1.4.2 / 8.1.10.x).
SYSADMIN = "系统管理员"
SECADMIN = "安全管理员"
AUDITADMIN = "审计管理员"
ADMIN_ROLES = (SYSADMIN, SECADMIN, AUDITADMIN)
STAFF = "监督科工作人员"
LEADER = "分管领导"
INSPECTOR = "执法检查人员"
LEGAL = "法制机构"
AUDITOR = "审计人员"

ROLE_LABELS = {
    SYSADMIN: _("系统管理员"),
    SECADMIN: _("安全管理员"),
    AUDITADMIN: _("审计管理员"),
    STAFF: _("监督科工作人员"),
    LEADER: _("分管领导"),
    INSPECTOR: _("执法检查人员"),
    LEGAL: _("法制机构"),
    AUDITOR: _("审计人员"),
}

REGISTRY_MODELS = [
    "jurisdiction",
    "sector",
    "checkitem",
    "institution",
    "practitioner",
    "supervisionrecord",
    "riskpolicy",
    "inspector",
    "conflict",
]
CALENDAR_MODELS = ["calendarday", "calendaryear"]
PLAN_MODELS = ["annualplan", "plansection", "planround", "planrevision", "inspectiontask"]
DRAW_MODELS = ["draw", "drawselection", "teammember", "redrawrequest"]
FIELD_MODELS = [
    "inspection",
    "inspectionmember",
    "checkrecord",
    "checkrecorditem",
    "evidence",
    "signature",
]
REPORT_MODELS = [
    "inspectionreport",
    "targetresult",
    "feedback",
    "ledgerentry",
    "filing",
]  # filing last
DEADLINE_MODELS = ["deadline", "reminder", "notification", "outboxemail"]
PUBLICATION_MODELS = ["resultnotice", "publication", "feedbatch", "feeditem"]
LOG_MODELS = ["riskrefresh"]  # written by the system, read by people
# Who changed what (Y4(2)): every model with a change history, the signing PIN's without the PIN.
HISTORY_MODELS = [
    "historical" + m
    for m in REGISTRY_MODELS
    + CALENDAR_MODELS
    + PLAN_MODELS
    + FIELD_MODELS
    + REPORT_MODELS
    + PUBLICATION_MODELS
    + ["signingpin"]
]
BEAT_MODELS = [
    "periodictask",
    "crontabschedule",
    "intervalschedule",
    "clockedschedule",
    "solarschedule",
]
EVERYTHING = (
    REGISTRY_MODELS
    + CALENDAR_MODELS
    + PLAN_MODELS
    + DRAW_MODELS
    + FIELD_MODELS
    + REPORT_MODELS
    + DEADLINE_MODELS
    + PUBLICATION_MODELS
    + LOG_MODELS
)


# Each administrator's screens, as "app_label.model" (every model of an app: "app_label.*"): the
# only admin pages its holder may open (besides the index, the login, the second factor and the
# own password), and the only models its group may hold permissions of (the trigger's list).
ADMIN_SCREENS = {
    # Accounts (never the administrators' own: `manage.py role_assign`) and the schedules.
    SYSADMIN: ("auth.user", "auth.group", "django_celery_beat.*"),
    # Security policy: locks, second factors, initial passwords; reviews who holds which role.
    SECADMIN: (
        "auth.user",
        "auth.group",
        "core.loginlockout",
        "core.accountsecurity",
        "otp_totp.totpdevice",
        "otp_static.staticdevice",
    ),
    # The audit trail, read-only.
    AUDITADMIN: ("core.auditevent",),
}
# Models only the administrators hold permissions of: no business role may be granted them.
ADMIN_ONLY_SCREENS = (
    "auth.user",
    "auth.group",
    "django_celery_beat.*",
    "core.auditevent",
    "core.loginlockout",
    "core.accountsecurity",
    "otp_totp.*",
    "otp_static.*",
    "axes.*",
)
# What any account of the admin may open: the index, logging in and out, the second factor, the
# own password and the admin's JavaScript catalogue (names in core.adminsite and config.urls).
ADMIN_COMMON_URL_NAMES = (
    "index",
    "login",
    "logout",
    "second_factor",
    "enrol",
    "recovery_codes",
    "password_change",
    "password_change_done",
    "jsi18n",
)


def screen_matches(screens, app_label: str, model: str) -> bool:
    return f"{app_label}.{model}" in screens or f"{app_label}.*" in screens


def _perms(actions: list[str], models: list[str]) -> list[str]:
    return [f"{action}_{model}" for model in models for action in actions]


def role_permissions() -> dict[str, list[str]]:
    """Permission codenames per role."""
    editable = [m for m in REGISTRY_MODELS if m not in ("sector",)] + CALENDAR_MODELS
    return {
        # Accounts and schedules, nothing of the business (三员分立, issue 14 §2). Roles are
        # definitions in code (roles_sync): the group screen reads them, it does not edit them.
        SYSADMIN: _perms(["view", "add", "change"], ["user"])
        + ["view_group"]
        + _perms(["view", "add", "change", "delete"], BEAT_MODELS),
        # Security policy: lifts locks, resets second factors, reviews who holds which role and
        # disables accounts; it does not make accounts (the system administrator does).
        SECADMIN: ["view_user", "view_group", "view_loginlockout", "unlock_loginlockout"]
        + ["view_accountsecurity", "review_roles"]
        + ["view_totpdevice", "delete_totpdevice", "view_staticdevice"],
        # Reads the audit trail and exports it; nothing else.
        AUDITADMIN: ["view_auditevent"],
        # The office keeps the registries; records are never deleted, only their status changes.
        # It also makes the plans and tasks and announces and executes draws (never deletes them).
        # Check records are the inspectors' (on /inspect/); the office reads them and writes the
        # report, the feedback, the ledger and the filing.
        STAFF: _perms(
            ["view"],
            ["sector"] + HISTORY_MODELS + DRAW_MODELS + FIELD_MODELS + DEADLINE_MODELS + LOG_MODELS,
        )
        + _perms(["view", "add", "change"], editable + PLAN_MODELS + REPORT_MODELS[:-1])
        # It files the task; receiving the filing is the legal-affairs office's (N10(6)).
        + ["add_draw", "view_personal_data", "view_filing", "add_filing"]
        # An e-mail interrupted mid-sending: checked in the relay's log, confirmed or resent.
        + ["review_outboxemail"]
        # It publishes the results (Y3.6): corrections and withdrawals included, never deletes.
        + _perms(["view"], PUBLICATION_MODELS)
        + ["add_resultnotice", "change_resultnotice"]
        # It registers the bureau's tablets for the field screens and stops lost ones.
        + _perms(["view", "add", "change"], ["tablet"]),
        # The leader in charge approves tasks (N10(1)), re-draws and reports (N10(5)).
        LEADER: _perms(["view"], EVERYTHING)
        + ["approve_inspectiontask", "approve_inspectionreport"],
        # The legal-affairs office receives the filings (N10(6)).
        LEGAL: _perms(["view"], EVERYTHING) + ["change_filing"],
        # Auditors (of the business) read everything, including who changed what, and change
        # nothing; the accounts are the administrators', the security trail the audit
        # administrator's (issue 14 §2).
        AUDITOR: _perms(["view"], EVERYTHING + HISTORY_MODELS + ["logentry"]),
        # Inspectors work on /inspect/, not in the admin.
        INSPECTOR: [],
    }


# A role's permissions by content type: codenames alone are ambiguous across apps.
ROLE_APPS = {
    SYSADMIN: ("auth", "django_celery_beat"),
    SECADMIN: ("auth", "core", "otp_totp", "otp_static"),
    AUDITADMIN: ("core",),
}


def roles_sync() -> None:
    all_perms = Permission.objects.all()
    for name, codenames in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = all_perms.filter(codename__in=codenames)
        if name in ROLE_APPS:
            perms = perms.filter(content_type__app_label__in=ROLE_APPS[name])
        group.permissions.set(perms)


def admin_role_of(user) -> str | None:
    """The administrator role the account holds (at most one, see duties_check), or None.
    Cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.pk:
        return None
    if user.is_superuser:  # never one of them (duties_check; the database's trigger)
        return None
    if not hasattr(user, "_admin_role"):
        names = user.groups.filter(name__in=ADMIN_ROLES).values_list("name", flat=True)
        user._admin_role = next(iter(names), None)
    return user._admin_role


def duties_check(*, group_names, is_superuser: bool, has_own_permissions: bool = False) -> None:
    """Raise ValidationError if an account with these roles would break the separation of
    duties (issue 14 §2); the database's triggers refuse the same rows."""
    names = set(group_names)
    admin = sorted(names & set(ADMIN_ROLES))
    if not admin:
        return
    if len(admin) > 1:
        raise ValidationError(
            gettext("三员分立：一个账号不能同时担任%(roles)s。") % {"roles": "、".join(admin)},
            code="two_admin_roles",
        )
    business = sorted(names - set(ADMIN_ROLES))
    if business:
        raise ValidationError(
            gettext("三员分立：%(admin)s不能同时担任业务角色（%(roles)s）。")
            % {"admin": admin[0], "roles": "、".join(business)},
            code="admin_and_business",
        )
    if is_superuser:
        raise ValidationError(
            gettext("三员分立：%(admin)s不能是超级用户。") % {"admin": admin[0]},
            code="admin_and_superuser",
        )
    if has_own_permissions:
        raise ValidationError(
            gettext("三员分立：%(admin)s的权限只来自其角色，不能另行授予。") % {"admin": admin[0]},
            code="admin_own_permissions",
        )


def roles_sync_after_migrate(**kwargs) -> None:
    with role_definitions_sync():
        roles_sync()


def on_groups_changing(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Before roles are added to an account (user.groups.add, group.user_set.add): the same
    refusal as the database's, with a message a person can act on (and on SQLite too)."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # group.user_set.add(users…)
        for user in model._default_manager.filter(pk__in=pk_set):
            names = [*user.groups.values_list("name", flat=True), instance.name]
            duties_check(
                group_names=names,
                is_superuser=user.is_superuser,
                has_own_permissions=user.user_permissions.exists(),
            )
    else:
        names = [
            *instance.groups.values_list("name", flat=True),
            *model._default_manager.filter(pk__in=pk_set).values_list("name", flat=True),
        ]
        duties_check(
            group_names=names,
            is_superuser=instance.is_superuser,
            has_own_permissions=instance.user_permissions.exists(),
        )


def on_own_permissions_changing(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action != "pre_add" or not pk_set:
        return
    users = model._default_manager.filter(pk__in=pk_set) if reverse else [instance]
    perms = [instance] if reverse else Permission.objects.filter(pk__in=pk_set)
    for permission in perms:
        ct = permission.content_type
        if screen_matches(ADMIN_ONLY_SCREENS, ct.app_label, ct.model):
            raise ValidationError(
                gettext("三员分立：“%(perm)s”只随管理员角色授予，不能另行授予。")
                % {"perm": permission.name},
                code="admin_permission_own",
            )
    for user in users:
        duties_check(
            group_names=user.groups.values_list("name", flat=True),
            is_superuser=user.is_superuser,
            has_own_permissions=True,
        )


def on_user_saving(sender, instance, **kwargs) -> None:
    if instance.pk and instance.is_superuser:
        duties_check(group_names=instance.groups.values_list("name", flat=True), is_superuser=True)
