"""一公开 (Y3.6, N15, SPEC §5): the result notices as published, the log of every publication, and
the batches sent to the credit-information sharing platform with their receipts."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from core.models import Publication  # noqa: F401  (the log moved to core; old imports keep working)
from inspections.models import TargetResult
from registry.models import Jurisdiction, Sector


class NoticeQuerySet(models.QuerySet):
    def public(self):
        """What the public may see: published and neither withdrawn nor superseded."""
        return self.filter(status=ResultNotice.Status.PUBLISHED)


class ResultNotice(models.Model):
    """The public notice of one inspected target's result (Y3.6): target, items with their concrete
    content and legal basis, the result in one of three categories, the time, the authority and
    the inspectors. A snapshot: what the public read stays as it was published. A correction is
    a new version (the earlier one is kept, marked superseded); a withdrawal needs a reason.
    Content the law keeps private is withheld with a recorded reason."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("已公开")
        SUPERSEDED = "superseded", _("已更正（被新版本取代）")
        WITHDRAWN = "withdrawn", _("已撤回")

    result = models.ForeignKey(
        TargetResult,
        verbose_name=_("检查对象结果"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PUBLISHED
    )
    # The snapshot, as published.
    target_name = models.CharField(_("检查对象"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, db_index=True)
    sector = models.ForeignKey(
        Sector, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"), db_index=True)
    task_name = models.CharField(_("检查任务"), max_length=200)
    items = models.JSONField(_("检查事项"), default=list)  # code, name, content, legal_basis
    category = models.CharField(_("检查结果"), max_length=16, choices=TargetResult.Category.choices)
    case_number = models.CharField(_("立案号"), max_length=100, blank=True)
    receiving_authority = models.CharField(_("移送机关"), max_length=200, blank=True)
    findings = models.TextField(_("检查发现"), blank=True)
    inspected_from = models.DateField(_("检查开始日期"))
    inspected_to = models.DateField(_("检查结束日期"))
    authority = models.CharField(_("检查机关"), max_length=200)
    inspectors = models.JSONField(_("检查人员"), default=list)  # name, certificate
    withheld = models.JSONField(_("不予公开的内容及理由"), default=dict, blank=True)

    published_at = models.DateTimeField(_("公开时间"), db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公开人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    late = models.BooleanField(_("逾期公开"), default=False)
    correction_reason = models.TextField(_("更正理由"), blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_reason = models.TextField(_("撤回理由"), blank=True)

    objects = NoticeQuerySet.as_manager()

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("结果公示")
        verbose_name_plural = _("结果公示")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="notice_public_recent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["result", "version"], name="notice_version"),
            models.UniqueConstraint(
                fields=["result"],
                condition=Q(status="published"),
                name="notice_one_current",
                violation_error_message=_("同一结果同时只能有一个公开版本。"),
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawal_reason=""),
                name="notice_withdrawal_has_reason",
                violation_error_message=_("撤回须说明理由。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_name}（{self.year}）"


class FeedBatch(models.Model):
    """A batch of notices for the credit-information sharing platform: sent as JSON to the
    configured HTTPS endpoint (retried with backoff), or written as a file for manual upload when
    none is configured. The platform's receipt is kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("发送失败")
        FILED = "filed", _("已生成文件（待人工上传）")

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    endpoint = models.CharField(_("接收地址"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    receipt = models.JSONField(_("回执"), null=True, blank=True)
    file = models.FileField(_("批次文件"), upload_to="credit-feed/%Y/", blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("信用平台推送批次")
        verbose_name_plural = _("信用平台推送批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return _("推送批次 %(n)s") % {"n": self.pk}


class FeedItem(models.Model):
    """One notice (or its withdrawal) in a batch; the idempotency key lets the platform drop a
    repeat of what it already has."""

    # Empty until a batch takes it.
    batch = models.ForeignKey(
        FeedBatch,
        verbose_name=_("批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    notice = models.ForeignKey(
        ResultNotice,
        verbose_name=_("结果公示"),
        on_delete=models.PROTECT,
        related_name="feed_items",
    )
    action = models.CharField(
        _("操作"), max_length=10, choices=[("publish", _("公开")), ("withdraw", _("撤回"))]
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=80, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    accepted = models.BooleanField(_("平台已接收"), null=True)
    message = models.TextField(_("平台说明"), blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("推送条目")
        verbose_name_plural = _("推送条目")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.idempotency_key
