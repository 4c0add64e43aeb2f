"""The outbox: every e-mail the project sends, and the office's review of those whose fate is
not known (issue 12 §8, core.mail)."""

from functools import partial

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import mail
from core.admin.common import ReadOnlyAdmin
from core.exceptions import ServiceError
from core.models import OutboxEmail
from core.tasks import email_send_task


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    """Every e-mail with its fate (issue 12 §8). An e-mail whose sending was interrupted (待核实)
    is never resent on its own: look its Message-ID up in the mail relay's log, then confirm it
    was delivered or send it again (docs/deployment.md §8.1)."""

    list_display = [
        "subject",
        "recipients",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "message_id",
    ]
    list_filter = ["status"]
    search_fields = ["subject", "message_id", "to"]
    date_hierarchy = "created_at"
    fields = [
        "subject",
        "recipients",
        "from_email",
        "message_id",
        "status",
        "attempts",
        "attempted_at",
        "sent_at",
        "last_error",
        "reminder",
        "reviewed_by",
        "reviewed_at",
        "body",
    ]
    readonly_fields = ["recipients"]
    actions = ["confirm_delivered", "resend"]

    @admin.display(description=_("收件人"))
    def recipients(self, obj: OutboxEmail) -> str:
        return ", ".join(obj.to)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.review_outboxemail")

    @admin.action(description=_("已在邮件服务器日志中查到：确认已送达"), permissions=["review"])
    def confirm_delivered(self, request: HttpRequest, queryset) -> None:
        self._review(request, queryset, delivered=True)

    @admin.action(description=_("日志中没有（或发送失败）：重新发送一次"), permissions=["review"])
    def resend(self, request: HttpRequest, queryset) -> None:
        self._review(request, queryset, delivered=False)

    def _review(self, request: HttpRequest, queryset, *, delivered: bool) -> None:
        done = 0
        for email in queryset:
            try:
                mail.email_review(email_id=email.pk, user=request.user, delivered=delivered)
            except ServiceError as exc:
                self.message_user(request, f"{email.message_id}：{exc}", messages.WARNING)
                continue
            if not delivered:
                transaction.on_commit(partial(email_send_task.delay, email.pk), robust=True)
            done += 1
        if delivered:
            text = gettext("已确认送达 %(n)s 封邮件。") % {"n": done}
        else:
            text = gettext("已将 %(n)s 封邮件交给后台任务重新发送。") % {"n": done}
        self.message_user(request, text)
