"""The office's screens for what every app stands on: the working-day calendar (SPEC §6), the
deadlines with their reminders and notifications (issue 4 §4), the e-mail outbox (issue 12 §8)
and the users and groups.

One module each: calendar, deadlines (and reminders), notifications, outbox, accounts; common
holds what they share. Importing the package registers every screen once."""

# isort: off
# In the order the screens were always registered in (the admin's URLs list the apps so).
from core.admin import calendar, deadlines, outbox, notifications, accounts, audit

# isort: on
from core.admin.common import ReadOnlyAdmin

__all__ = ["ReadOnlyAdmin", "accounts", "audit", "calendar", "deadlines", "notifications", "outbox"]
