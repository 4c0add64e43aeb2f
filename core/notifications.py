"""Telling people: an in-app notification (the bell of the staff pages, core.models.Notification)
and the same text by e-mail — the channel the deadline reminders use (core.deadlines), for any
app's event that needs a person's action."""

import logging
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.models import Notification

logger = logging.getLogger(__name__)


def absolute_url(url: str) -> str:
    """A path made absolute with SITE_URL for an e-mail (left a path when it is not set)."""
    if url.startswith("/") and settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + url
    return url


def _mail(subject: str, body: str, addresses: list[str]) -> None:
    try:
        EmailMessage(subject=subject, body=body, to=addresses).send()
    except OSError:  # smtplib.SMTPException is one: the notification in the app stays
        logger.exception("notification e-mail to %s not sent", addresses)


def notifications_send(*, users: Iterable, title, body, url: str = "") -> list[Notification]:
    """Notify `users` in the app now and by e-mail once the transaction commits (an e-mail
    server that is down is logged, the notifications stay). `title` and `body` are rendered in
    the site's language, as the reminders are."""
    users = [u for u in dict.fromkeys(users) if u is not None]
    with translation.override(settings.LANGUAGE_CODE):
        title, body = str(title), str(body)
        mail_body = body + (
            "\n" + _("办理地址：%(url)s") % {"url": absolute_url(url)} if url else ""
        )
    notes = Notification.objects.bulk_create(
        [Notification(user=u, title=title[:300], body=body, url=url[:300]) for u in users]
    )
    addresses = [u.email for u in users if u.email]
    if addresses:
        transaction.on_commit(partial(_mail, title, mail_body, addresses))
    return notes
