"""The roles of the bureau as Django groups, with least privilege (issue 2 §5).

Groups are (re)synchronised after every migrate so that new models get their permissions granted
to the right roles; a group's permissions are exactly those listed here.
"""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

from core.audit_events import role_definitions_sync

SYSADMIN = "系统管理员"
STAFF = "监督科工作人员"
LEADER = "分管领导"
INSPECTOR = "执法检查人员"
LEGAL = "法制机构"
AUDITOR = "审计人员"

ROLE_LABELS = {
    SYSADMIN: _("系统管理员"),
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


def _perms(actions: list[str], models: list[str]) -> list[str]:
    return [f"{action}_{model}" for model in models for action in actions]


def role_permissions() -> dict[str, list[str]]:
    """Permission codenames per role."""
    editable = [m for m in REGISTRY_MODELS if m not in ("sector",)] + CALENDAR_MODELS
    return {
        # Accounts, schedules and the calendar; reads the business data but does not edit it.
        SYSADMIN: _perms(["view", "add", "change"], ["user", "group"] + CALENDAR_MODELS)
        + _perms(["view", "add", "change", "delete"], BEAT_MODELS)
        + _perms(["view"], EVERYTHING + HISTORY_MODELS + ["logentry", "sector"]),
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
        # Auditors read everything, including who changed what, and change nothing.
        AUDITOR: _perms(["view"], EVERYTHING + HISTORY_MODELS + ["user", "group", "logentry"]),
        # Inspectors work on /inspect/, not in the admin.
        INSPECTOR: [],
    }


def roles_sync() -> None:
    all_perms = Permission.objects.all()
    for name, codenames in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(all_perms.filter(codename__in=codenames))


def roles_sync_after_migrate(**kwargs) -> None:
    with role_definitions_sync():
        roles_sync()
