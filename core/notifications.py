"""Telling people: an in-app notification (the bell of the staff pages, core.models.Notification)
and the same text by e-mail — the channel the deadline reminders use (core.deadlines), for any
app's event that needs a person's action."""

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.mail import email_queue
from core.models import Notification
from core.queue import enqueue_on_commit


def absolute_url(url: str) -> str:
    """A path made absolute with SITE_URL for an e-mail (left a path when it is not set)."""
    if url.startswith("/") and settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + url
    return url


def notifications_send(
    *, users: Iterable, title, body, url: str = "", key: str = "notification"
) -> list[Notification]:
    """Notify `users` in the app now and by e-mail through the outbox (core.mail: recorded in
    this transaction, sent after it commits, never twice; a mail server that is down delays the
    e-mail, the notifications stay). `key` starts the e-mail's Message-ID. `title` and `body` are
    rendered in the site's language, as the reminders are."""
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
        email = email_queue(to=addresses, subject=title, body=mail_body, key=key)
        enqueue_on_commit("core.email_send_task", email.pk, robust=True)
    return notes
