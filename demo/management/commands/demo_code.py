"""`python manage.py demo_code demo-staff`: the code a demo staff account's authenticator shows
now (its key is fixed and public: demo.story.accounts), for a newcomer without the app at hand.
Only for the demo's accounts: it reads no key from the database. `demo_code --tablet`: a new
binding code for the demo's tablet (the old binding ends)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from demo.story import accounts
from inspections.models import Tablet


class Command(BaseCommand):
    help = _("显示演示工作人员账号当前的身份验证器验证码")

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help=_("演示账号，如 demo-staff"))
        parser.add_argument(
            "--tablet", action="store_true", help=_("为演示平板生成新的绑定码（原绑定失效）")
        )

    def handle(self, *args, username=None, tablet=False, **options):
        if tablet:
            Tablet.objects.filter(name=accounts.DEMO_TABLET).update(bound_at=None)
            self.stdout.write(accounts.demo_tablet_code() or "")
            return
        staff = [name for name, _group, is_staff in accounts.ACCOUNTS if is_staff]
        if username not in staff:
            raise CommandError(
                _("%(name)s 不是演示工作人员账号；可用：%(names)s")
                % {"name": username, "names": "、".join(staff)}
            )
        self.stdout.write(accounts.demo_totp_code(username))
