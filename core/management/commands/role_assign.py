"""Give an account one of the three administrators' roles, or take it back (三员分立, issue 14 §2):
the only way to make a system, security or audit administrator. It is run on the server by the
operator, never on a screen, so that no administrator can make another; each change is in the
audit trail (core.audit_events, as every role change).

    manage.py role_assign USER ROLE [--create] [--replace]
    manage.py role_assign USER ROLE --revoke

ROLE is 系统管理员, 安全管理员 or 审计管理员 (or sysadmin, secadmin, auditadmin). --create makes the
account (staff, with an initial password printed once, to be changed at the first login after
enrolling the second factor); --replace first takes the account's other roles away. An account
that is a superuser is refused: a superuser is for nobody's daily work and cannot be an
administrator."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from core import identity, roles

ALIASES = {"sysadmin": roles.SYSADMIN, "secadmin": roles.SECADMIN, "auditadmin": roles.AUDITADMIN}


class Command(BaseCommand):
    help = "Give an account the system, security or audit administrator's role (三员分立)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help="系统管理员, 安全管理员 or 审计管理员 (sysadmin, …)")
        parser.add_argument("--create", action="store_true", help="create the account")
        parser.add_argument(
            "--replace", action="store_true", help="take the account's other roles away first"
        )
        parser.add_argument("--revoke", action="store_true", help="take the role away")

    def handle(self, *args, username, role, create, replace, revoke, **options):
        role = ALIASES.get(role.strip().lower(), role.strip())
        if role not in roles.ADMIN_ROLES:
            raise CommandError(
                f"Unknown role {role!r}: one of {', '.join(roles.ADMIN_ROLES)} "
                f"({', '.join(ALIASES)})."
            )
        group = Group.objects.get(name=role)
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if revoke:
            if user is None or not user.groups.filter(pk=group.pk).exists():
                raise CommandError(f"{username!r} does not hold {role}.")
            user.groups.remove(group)
            self.stdout.write(f"{username}: {role} taken away.")
            return
        if user is None and not create:
            raise CommandError(f"No account {username!r}: add --create to make it.")
        if user is not None and user.is_superuser:
            raise CommandError(
                f"{username!r} is a superuser: an administrator cannot be one (三员分立). "
                "Take the flag away first, or use another account."
            )
        password = None
        try:
            with transaction.atomic():
                if user is None:
                    user = User(username=username, is_staff=True)
                    password = _initial_password()
                    user.set_password(password)
                    user.save()
                    identity.password_change_require(user=user)
                others = user.groups.exclude(pk=group.pk)
                if others.exists() and not replace:
                    names = ", ".join(sorted(others.values_list("name", flat=True)))
                    raise CommandError(
                        f"{username!r} holds {names}: an administrator holds no other role "
                        "(三员分立). Add --replace to take them away."
                    )
                if replace:
                    user.groups.remove(*others)
                    user.user_permissions.clear()
                if not user.is_staff:
                    user.is_staff = True
                    user.save(update_fields=["is_staff"])
                user.groups.add(group)
        except ValidationError as error:
            raise CommandError(f"{username!r}: {' '.join(error.messages)}") from error
        except DatabaseError as error:  # the database's own refusal (core migration 0010)
            raise CommandError(f"{username!r}: refused by the database: {error}") from error
        self.stdout.write(f"{username}: {role}.")
        if password:
            self.stdout.write(
                f"Initial password (shown once; changed at the first login): {password}"
            )


def _initial_password() -> str:
    """Ten characters and more of three classes and more (core.identity's policy)."""
    return f"Init-{secrets.token_urlsafe(12)}9"
