"""Who changed what (Y4(2): 尽职照单免责、失职照单问责 — every change traceable to a person).

Every model with a change history (django-simple-history) records its acting user through
`history_user`: the logged-in user of the request; inside `acting_as(user)` — management commands
with `--user`, background jobs — that user; and otherwise the system account (`_system`, inactive,
no password), never nobody. Commands take `--user` through `ActingCommand`.
"""

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SYSTEM_USERNAME = "_system"
_acting: contextvars.ContextVar = contextvars.ContextVar("acting_user", default=None)


def system_user():
    """The account that stands for the system itself (commands without --user, scheduled jobs)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "first_name": str(gettext_lazy("系统"))},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def history_user(instance=None, request=None, **kwargs):
    """simple_history's `get_user`: the acting user, the request's user, or the system account."""
    user = _acting.get()
    if user is not None:
        return user
    if request is not None and getattr(request.user, "is_authenticated", False):
        return request.user
    return system_user()


def current_history_user():
    """The user `history_user` would record now, looked up once: for bulk creations
    (`bulk_create_with_history(default_user=…)`), which would otherwise ask for every row."""
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    return history_user(request=request)


def acting_user():
    """The user `acting_as` set, if any (services that log who did something use it too)."""
    return _acting.get()


@contextlib.contextmanager
def acting_as(user):
    token = _acting.set(user)
    try:
        yield user
    finally:
        _acting.reset(token)


class ActingCommand(BaseCommand):
    """A management command whose writes are recorded under `--user USERNAME` (by default the
    system account)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--user",
            dest="acting_username",
            help=_("记入修改历史的用户名（默认：系统账号 %(name)s）") % {"name": SYSTEM_USERNAME},
        )
        return parser

    def execute(self, *args, **options):
        username = options.pop("acting_username", None)
        self._acting = None
        if username:
            self._acting = get_user_model().objects.filter(username=username).first()
            if self._acting is None:
                raise CommandError(_("用户“%(u)s”不存在") % {"u": username})
        with acting_as(self._acting):
            return super().execute(*args, **options)

    @property
    def acting_user(self):
        """The user of `--user`, or the system account (looked up only when needed)."""
        return self._acting or system_user()
