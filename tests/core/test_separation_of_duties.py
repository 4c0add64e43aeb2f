"""Three separated administrators (三员分立, issue 14 §2; GB/T 22239-2019 8.1.4.2 c, 8.1.10.x).

The system administrator keeps the accounts and the schedules, the security administrator the
security policy (locks, second factors, the review of who holds which role), the audit
administrator reads the audit trail. No account holds two of them, none holds one with a
business role, a superuser flag or permissions of its own — tried here in every combination,
through the ORM, through SQL below the services, through the admin and through the command —
and none of them opens a business screen. The daily work needs no superuser: the demo has none
(tests/demo/test_demo_data.py).
"""

import importlib
import io
import itertools

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core import roles
from core.models import AccountSecurity, AuditEvent
from tests.factories import InstitutionFactory, UserFactory
from tests.twofactor import SecondFactorClient

pytestmark = pytest.mark.django_db

ADMINS = list(roles.ADMIN_ROLES)
BUSINESS = [roles.STAFF, roles.LEADER, roles.INSPECTOR, roles.LEGAL, roles.AUDITOR]
# Every pair an account may not hold: two administrators, or an administrator and a business role.
FORBIDDEN_PAIRS = [
    *itertools.combinations(ADMINS, 2),
    *itertools.product(ADMINS, BUSINESS),
]
PAIR_IDS = [f"{a}+{b}" for a, b in FORBIDDEN_PAIRS]
MIGRATION = importlib.import_module("core.migrations.0010_separation_of_duties")


def group(name: str) -> Group:
    return Group.objects.get(name=name)


# Each refusal inside its own savepoint: Django's m2m add runs in the caller's transaction, which
# an exception there leaves unusable (as in any view: the request's transaction is rolled back).
def user_with(*names: str, **fields):
    user = UserFactory(is_staff=True, **fields)
    for name in names:
        user.groups.add(group(name))
    return user


def sql(statement: str, params=None) -> None:
    """What an administrator with SQL below the services does."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def log_in(user) -> SecondFactorClient:
    client = SecondFactorClient()
    client.force_login(user)
    return client


def test_the_migration_guards_what_core_roles_defines():
    """The triggers' lists are core.roles' lists: a change of one without the other fails here."""
    assert list(roles.ADMIN_ROLES) == MIGRATION.ADMIN_ROLES
    assert {k: tuple(v) for k, v in MIGRATION.ADMIN_SCREENS.items()} == roles.ADMIN_SCREENS
    assert tuple(MIGRATION.ADMIN_ONLY_SCREENS) == roles.ADMIN_ONLY_SCREENS


class TestNoAccountHoldsTwo:
    @pytest.mark.parametrize(("first", "second"), FORBIDDEN_PAIRS, ids=PAIR_IDS)
    @pytest.mark.parametrize("order", ["first-then-second", "second-then-first"])
    def test_the_orm_refuses_with_a_reason(self, first, second, order):
        if order == "second-then-first":
            first, second = second, first
        user = user_with(first)
        with pytest.raises(ValidationError, match="三员分立"), transaction.atomic():
            user.groups.add(group(second))
        with pytest.raises(ValidationError, match="三员分立"), transaction.atomic():
            group(second).user_set.add(user)  # the reverse side too
        assert list(user.groups.values_list("name", flat=True)) == [first]

    @pytest.mark.postgres
    @pytest.mark.parametrize(("first", "second"), FORBIDDEN_PAIRS, ids=PAIR_IDS)
    def test_the_database_refuses_sql(self, first, second):
        user = user_with(first)
        with pytest.raises(DatabaseError, match="separation of duties"):
            sql(
                "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                [user.pk, group(second).pk],
            )
        # …and a row moved onto the account, not only a new one.
        other = user_with(second)
        row = other.groups.through.objects.get(user=other)
        with pytest.raises(DatabaseError, match="separation of duties"):
            sql("UPDATE auth_user_groups SET user_id = %s WHERE id = %s", [user.pk, row.pk])
        assert list(user.groups.values_list("name", flat=True)) == [first]

    @pytest.mark.parametrize("role", ADMINS)
    def test_a_superuser_is_none_of_them(self, role, is_postgres):
        superuser = UserFactory(is_staff=True, is_superuser=True)
        with pytest.raises(ValidationError, match="超级用户"), transaction.atomic():
            superuser.groups.add(group(role))
        holder = user_with(role)
        holder.is_superuser = True
        with pytest.raises(ValidationError, match="超级用户"), transaction.atomic():
            holder.save()
        if is_postgres:
            with pytest.raises(DatabaseError, match="superuser"):
                sql("UPDATE auth_user SET is_superuser = true WHERE id = %s", [holder.pk])
            with pytest.raises(DatabaseError, match="superuser"):
                sql(
                    "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                    [superuser.pk, group(role).pk],
                )
        holder.refresh_from_db()
        assert not holder.is_superuser

    @pytest.mark.parametrize("role", ADMINS)
    def test_no_permissions_of_their_own(self, role, is_postgres):
        holder = user_with(role)
        view_institution = Permission.objects.get(codename="view_institution")
        with pytest.raises(ValidationError, match="不能另行授予"), transaction.atomic():
            holder.user_permissions.add(view_institution)
        if is_postgres:
            with pytest.raises(DatabaseError, match="permissions of its own"):
                sql(
                    "INSERT INTO auth_user_user_permissions (user_id, permission_id) "
                    "VALUES (%s, %s)",
                    [holder.pk, view_institution.pk],
                )
        assert not holder.user_permissions.exists()


@pytest.mark.parametrize("codename", ["view_auditevent", "unlock_loginlockout", "change_user"])
def test_nobody_gets_an_administrators_permission_of_their_own(codename, is_postgres):
    """Not even a business account beside its role: those permissions come only with the
    administrators' roles (a staff member reading the audit trail is the audit administrator's
    room, entered by the back door)."""
    staff = user_with(roles.STAFF)
    permission = Permission.objects.get(codename=codename)
    with pytest.raises(ValidationError, match="只随管理员角色授予"), transaction.atomic():
        staff.user_permissions.add(permission)
    if is_postgres:
        with pytest.raises(DatabaseError, match="of its own"):
            sql(
                "INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (%s, %s)",
                [staff.pk, permission.pk],
            )
    assert not staff.user_permissions.exists()


@pytest.mark.postgres
class TestRolesGrantOnlyTheirScreens:
    @pytest.mark.parametrize("role", ADMINS)
    def test_an_administrator_role_gets_no_business_permission(self, role):
        for codename in ["view_institution", "add_draw", "view_auditevent", "view_user"]:
            permission = Permission.objects.get(codename=codename)
            ct = permission.content_type
            if roles.screen_matches(roles.ADMIN_SCREENS[role], ct.app_label, ct.model):
                continue
            with pytest.raises(DatabaseError, match="cannot be granted"):
                sql(
                    "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
                    [group(role).pk, permission.pk],
                )

    @pytest.mark.parametrize("role", BUSINESS)
    @pytest.mark.parametrize(
        "codename", ["view_auditevent", "unlock_loginlockout", "delete_totpdevice", "change_user"]
    )
    def test_a_business_role_gets_no_administrator_permission(self, role, codename):
        permission = Permission.objects.get(codename=codename)
        with pytest.raises(DatabaseError, match="administrators only"):
            sql(
                "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
                [group(role).pk, permission.pk],
            )

    def test_renaming_a_group_does_not_smuggle_a_role(self):
        """The audit administrator's group renamed into a business one keeps its audit permission:
        refused; a business group renamed into a free administrator's name: its members refused."""
        with pytest.raises(DatabaseError, match="administrators only"):
            sql("UPDATE auth_group SET name = 'x' WHERE name = %s", [roles.AUDITADMIN])
        with pytest.raises(DatabaseError, match="administrators only"):
            sql("UPDATE auth_group SET name = 'old' WHERE name = %s", [roles.SECADMIN])
        # Emptied first (with SQL), the security administrator's name is free for a moment.
        sql("DELETE FROM auth_group_permissions WHERE group_id = %s", [group(roles.SECADMIN).pk])
        sql("UPDATE auth_group SET name = 'old' WHERE name = %s", [roles.SECADMIN])
        Group.objects.get(name=roles.LEADER).permissions.clear()
        user_with(roles.STAFF, roles.LEADER)
        with pytest.raises(DatabaseError, match="separation of duties"):
            sql("UPDATE auth_group SET name = %s WHERE name = %s", [roles.SECADMIN, roles.LEADER])

    def test_the_roles_definitions_stay_within_their_screens(self):
        for role in ADMINS:
            for permission in group(role).permissions.select_related("content_type"):
                ct = permission.content_type
                assert roles.screen_matches(roles.ADMIN_SCREENS[role], ct.app_label, ct.model)


# -- the screens ----------------------------------------------------------------------------------
BUSINESS_PAGES = [
    "admin:registry_institution_changelist",
    "admin:registry_practitioner_changelist",
    "admin:inspections_draw_changelist",
    "admin:inspections_inspectiontask_changelist",
    "admin:core_calendarday_changelist",
    "admin:core_deadline_changelist",
    "admin:core_publication_changelist",
    "admin:inspections_tablet_changelist",
]
OWN_PAGES = {
    roles.SYSADMIN: [
        "admin:auth_user_changelist",
        "admin:auth_user_add",
        "admin:auth_group_changelist",
        "admin:django_celery_beat_periodictask_changelist",
    ],
    roles.SECADMIN: [
        "admin:auth_user_changelist",
        "admin:core_loginlockout_changelist",
        "admin:otp_totp_totpdevice_changelist",
    ],
    roles.AUDITADMIN: ["admin:core_auditevent_changelist", "admin:core_auditevent_export"],
}
OTHERS_PAGES = {
    roles.SYSADMIN: ["admin:core_auditevent_changelist", "admin:core_loginlockout_changelist"],
    roles.SECADMIN: [
        "admin:core_auditevent_changelist",
        "admin:auth_user_add",
        "admin:django_celery_beat_periodictask_changelist",
    ],
    roles.AUDITADMIN: ["admin:auth_user_changelist", "admin:core_loginlockout_changelist"],
}


@pytest.mark.parametrize("role", ADMINS)
class TestScreens:
    def test_own_screens_open(self, role):
        client = log_in(user_with(role))
        assert client.get(reverse("admin:index")).status_code == 200
        for name in OWN_PAGES[role]:
            assert client.get(reverse(name)).status_code == 200, name

    def test_no_business_screen_and_no_other_administrators(self, role):
        client = log_in(user_with(role))
        institution = InstitutionFactory()
        pages = [reverse(name) for name in BUSINESS_PAGES + OTHERS_PAGES[role]]
        pages += [
            reverse("admin:registry_institution_change", args=[institution.pk]),
            reverse("admin:app_list", args=["registry"]),
            reverse("staff_file", args=["registry.institution", institution.pk, "x"]),
            "/inspect/",
            "/inspect/tablet/",
        ]
        for url in pages:
            response = client.get(url)
            assert response.status_code == 403, url
        assert "三员分立" in client.get(pages[0]).content.decode()

    def test_the_public_pages_stay_open(self, role):
        client = log_in(user_with(role))
        assert client.get(reverse("registry:home")).status_code == 200

    def test_the_index_lists_only_their_screens(self, role):
        html = log_in(user_with(role)).get(reverse("admin:index")).content.decode()
        assert "/admin/registry/" not in html and "/admin/inspections/" not in html


def test_a_superuser_given_permissions_directly_is_still_refused_nothing(admin_client):
    """A superuser (nobody's daily work) is not an administrator: the business screens are its."""
    assert admin_client.get(reverse("admin:registry_institution_changelist")).status_code == 200


# -- the accounts' screen ---------------------------------------------------------------------------
class TestAccounts:
    def test_the_system_administrator_cannot_give_an_administrators_role(self, sysadmin_user):
        client = log_in(sysadmin_user)
        target = user_with(roles.STAFF)
        url = reverse("admin:auth_user_change", args=[target.pk])
        form = client.get(url).context["adminform"].form
        offered = {g.name for g in form.fields["groups"].queryset}
        assert offered == {roles.STAFF, roles.LEADER, roles.INSPECTOR, roles.LEGAL, roles.AUDITOR}
        assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
        data = {
            "username": target.username,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",  # not on the form: ignored
            "groups": [group(roles.AUDITADMIN).pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-12-01",
            "date_joined_1": "10:00:00",
        }
        response = client.post(url, data)
        assert response.status_code == 200  # the form again, with the error on the field
        assert response.context["adminform"].form.errors["groups"]
        target.refresh_from_db()
        assert not target.is_superuser
        assert [g.name for g in target.groups.all()] == [roles.STAFF]

    def test_the_form_says_why_a_superuser_cannot_be_given_a_role(self, admin_client):
        """A superuser's screen offers the business roles; an administrator's account and its
        password stay read-only even there."""
        holder = user_with(roles.AUDITADMIN)
        url = reverse("admin:auth_user_change", args=[holder.pk])
        assert admin_client.post(url, {"username": "renamed"}).status_code == 403
        password = reverse("admin:auth_user_password_change", args=[holder.pk])
        assert admin_client.get(password).status_code == 403

    def test_a_superuser_cannot_grant_an_administrators_permission_on_the_form(self, admin_client):
        target = user_with(roles.STAFF)
        url = reverse("admin:auth_user_change", args=[target.pk])
        data = {
            "username": target.username,
            "is_active": "on",
            "is_staff": "on",
            "groups": [group(roles.STAFF).pk],
            "user_permissions": [Permission.objects.get(codename="view_auditevent").pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-12-01",
            "date_joined_1": "10:00:00",
        }
        response = admin_client.post(url, data)
        assert response.status_code == 200  # the form again, not a server error
        errors = " ".join(response.context["adminform"].form.errors["user_permissions"])
        assert "只随管理员角色授予" in errors
        assert not target.user_permissions.exists()

    @pytest.mark.parametrize("role", ADMINS)
    def test_administrators_accounts_are_read_only_on_screens(self, role, sysadmin_user):
        holder = user_with(role)
        client = log_in(sysadmin_user)
        url = reverse("admin:auth_user_change", args=[holder.pk])
        assert client.get(url).context["has_change_permission"] is False
        assert client.post(url, {"username": "renamed", "is_active": ""}).status_code == 403
        password = reverse("admin:auth_user_password_change", args=[holder.pk])
        assert client.post(password, {"password1": "x", "password2": "x"}).status_code == 403
        holder.refresh_from_db()
        assert holder.is_active and holder.username != "renamed"

    def test_roles_are_definitions_not_screens(self, sysadmin_user, admin_client):
        for client in [log_in(sysadmin_user), admin_client]:
            assert client.get(reverse("admin:auth_group_add")).status_code == 403
            change = reverse("admin:auth_group_change", args=[group(roles.STAFF).pk])
            assert client.post(change, {"name": "x", "permissions": []}).status_code == 403
        assert group(roles.STAFF).permissions.exists()

    def test_the_security_administrator_reviews_roles_into_the_trail(self, secadmin_user):
        staff = user_with(roles.STAFF)
        client = log_in(secadmin_user)
        response = client.post(
            reverse("admin:auth_user_changelist"),
            {"action": "review_roles", "_selected_action": [staff.pk]},
            follow=True,
        )
        assert "已复核 1 个账号的角色分配" in response.content.decode()
        event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_REVIEWED)
        assert event.username == secadmin_user.username
        assert event.target_id == str(staff.pk)
        assert event.detail["roles"] == [roles.STAFF]

    def test_the_security_administrator_disables_an_account_but_no_administrator(
        self, secadmin_user, sysadmin_user
    ):
        staff = user_with(roles.STAFF)
        client = log_in(secadmin_user)
        response = client.post(
            reverse("admin:auth_user_changelist"),
            {"action": "disable_accounts", "_selected_action": [staff.pk, sysadmin_user.pk]},
            follow=True,
        )
        page = response.content.decode()
        assert "已停用 1 个账号" in page and sysadmin_user.username in page
        staff.refresh_from_db()
        sysadmin_user.refresh_from_db()
        assert not staff.is_active and sysadmin_user.is_active
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.ACCOUNT_DISABLED, target_id=str(staff.pk)
        ).exists()

    def test_the_system_administrator_neither_reviews_nor_disables(self, sysadmin_user):
        staff = user_with(roles.STAFF)
        client = log_in(sysadmin_user)
        for action in ["review_roles", "disable_accounts", "reset_second_factor"]:
            client.post(
                reverse("admin:auth_user_changelist"),
                {"action": action, "_selected_action": [staff.pk]},
            )
        staff.refresh_from_db()
        assert staff.is_active
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_REVIEWED).exists()


# -- manage.py role_assign --------------------------------------------------------------------------
def role_assign(*args) -> str:
    out = io.StringIO()
    call_command("role_assign", *args, stdout=out)
    return out.getvalue()


class TestRoleAssign:
    def test_creates_an_administrator_with_an_initial_password(self):
        out = role_assign("li.audit", "auditadmin", "--create")
        assert "审计管理员" in out and "Initial password" in out
        user = Group.objects.get(name=roles.AUDITADMIN).user_set.get()
        assert user.username == "li.audit" and user.is_staff and not user.is_superuser
        password = out.rsplit(": ", 1)[1].strip()
        assert user.check_password(password)
        assert AccountSecurity.objects.get(user=user).must_change_password
        event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGED)
        assert event.target_id == str(user.pk) and event.detail["added"] == [roles.AUDITADMIN]

    @pytest.mark.parametrize(("given", "held"), FORBIDDEN_PAIRS, ids=PAIR_IDS)
    def test_refuses_a_second_role_unless_replacing(self, given, held):
        user = user_with(held)
        with pytest.raises(CommandError, match="--replace"):
            role_assign(user.username, given)
        assert [g.name for g in user.groups.all()] == [held]
        role_assign(user.username, given, "--replace")
        assert [g.name for g in user.groups.all()] == [given]

    def test_refuses_a_superuser_an_unknown_role_and_a_missing_account(self):
        superuser = UserFactory(is_superuser=True)
        with pytest.raises(CommandError, match="superuser"):
            role_assign(superuser.username, roles.SECADMIN)
        with pytest.raises(CommandError, match="Unknown role"):
            role_assign(superuser.username, "root")
        with pytest.raises(CommandError, match="--create"):
            role_assign("nobody", roles.SECADMIN)
        assert not Group.objects.get(name=roles.SECADMIN).user_set.exists()

    def test_revokes(self):
        user = user_with(roles.SECADMIN)
        assert "taken away" in role_assign(user.username, "secadmin", "--revoke")
        assert not user.groups.exists()
        with pytest.raises(CommandError, match="does not hold"):
            role_assign(user.username, "secadmin", "--revoke")


# -- the upgrade -----------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.postgres
def test_an_earlier_releases_accounts_are_separated_by_the_upgrade(scratch_database):
    """Before 三员分立, the system administrator was a superuser who read the business, and
    permissions could be granted to an account directly. `manage.py migrate`: an account holding
    the system administrator's role with a business role stops the upgrade, naming it; once it
    holds one role, the upgrade takes the superuser flag and the administrators' permissions
    granted directly, and the database refuses such rows from then on."""
    import psycopg

    from tests.core.upgrades import manage, manage_result

    manage(scratch_database, "migrate", "core", "0009_audit_second_factor_events", "-v", "0")
    with psycopg.connect(scratch_database, autocommit=True) as db:

        def one(query, params=()):
            return db.execute(query, params).fetchone()[0]

        sysadmin_group = one("SELECT id FROM auth_group WHERE name = %s", [roles.SYSADMIN])
        staff_group = one("SELECT id FROM auth_group WHERE name = %s", [roles.STAFF])
        old_admin = one(
            "INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,"
            " first_name, last_name, email, date_joined, last_login)"
            " VALUES ('old.admin', '!', true, true, true, '', '', '', now(), now()) RETURNING id"
        )
        clerk = one(
            "INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active,"
            " first_name, last_name, email, date_joined, last_login)"
            " VALUES ('old.clerk', '!', false, true, true, '', '', '', now(), now()) RETURNING id"
        )
        for group_id in (sysadmin_group, staff_group):
            db.execute(
                "INSERT INTO auth_user_groups (user_id, group_id) VALUES (%s, %s)",
                [old_admin, group_id],
            )
        view_auditevent = one("SELECT id FROM auth_permission WHERE codename = 'view_auditevent'")
        db.execute(
            "INSERT INTO auth_user_user_permissions (user_id, permission_id) VALUES (%s, %s)",
            [clerk, view_auditevent],
        )

    failed = manage_result(scratch_database, "migrate", "-v", "0")
    assert failed.returncode != 0
    assert "old.admin" in failed.stderr and "三员分立" in failed.stderr

    with psycopg.connect(scratch_database, autocommit=True) as db:
        db.execute(
            "DELETE FROM auth_user_groups WHERE user_id = %s AND group_id = %s",
            [old_admin, staff_group],
        )
    manage(scratch_database, "migrate", "-v", "0")

    with psycopg.connect(scratch_database, autocommit=True) as db:
        assert db.execute(
            "SELECT is_superuser FROM auth_user WHERE id = %s", [old_admin]
        ).fetchone() == (False,)
        assert db.execute(
            "SELECT count(*) FROM auth_user_user_permissions WHERE user_id = %s", [clerk]
        ).fetchone() == (0,)
        with pytest.raises(psycopg.errors.CheckViolation):
            db.execute("UPDATE auth_user SET is_superuser = true WHERE id = %s", [old_admin])
