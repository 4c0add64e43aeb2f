"""What the management commands' arguments parse to, one way for every command."""

import datetime as dt

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def iso_date(value: str) -> dt.date:
    """A YYYY-MM-DD argument (an argparse `type`, or called on a parsed string)."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("“%(value)s”不是 YYYY-MM-DD 格式的日期。") % {"value": value}) from exc
