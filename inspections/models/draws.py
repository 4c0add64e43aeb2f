"""The double random draw (N10–N12, Y3.5) as published: announced with frozen pools and named
future randomness sources, then executed once from the source values (RFC 3797). An executed
draw never changes; a re-draw is a new draw and the earlier one stays published."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from inspections.models.tasks import InspectionTask
from registry.models import Inspector, Institution


class Draw(models.Model):
    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("已公告，待抽取")
        EXECUTED = "executed", _("已抽取")

    task = models.ForeignKey(
        InspectionTask, verbose_name=_("检查任务"), on_delete=models.PROTECT, related_name="draws"
    )
    number = models.PositiveSmallIntegerField(_("抽取序号"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ANNOUNCED
    )
    verifiable = models.BooleanField(
        _("可公开验证"),
        default=True,
        help_text=_("当场抽取（服务器生成随机数）不可公开验证，须记录理由和两名见证人。"),
    )
    # The announcement: format, algorithm, parameters, sources (without values), pools and hashes.
    announcement = models.JSONField(_("抽取公告"))
    # Not public: the database ids of the frozen pools' entries, in pool order ({"targets": [...],
    # "inspectors": [...]}), so the result rows point at exactly what was announced even if a
    # credit code or a certificate number is corrected in the registry in between.
    pool_ids = models.JSONField(_("名录内部编号"), default=dict, editable=False)
    announced_at = models.DateTimeField(_("公告时间"))
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公告人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_values = models.JSONField(_("随机源取值"), null=True, blank=True)
    result = models.JSONField(_("抽取结果"), null=True, blank=True)
    executed_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("执行人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    immediate_reason = models.TextField(_("当场抽取理由"), blank=True)
    witnesses = models.JSONField(_("见证人"), default=list, blank=True)
    # Re-draws (a reason and a second approver); the superseded draw stays published.
    redraw_of = models.OneToOneField(
        "self",
        verbose_name=_("重新抽取自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redrawn_as",
    )
    redraw_reason = models.TextField(_("重新抽取理由"), blank=True)
    redraw_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重新抽取申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    redraw_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重新抽取批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    superseded_at = models.DateTimeField(_("被重新抽取取代时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("随机抽取")
        verbose_name_plural = _("随机抽取")
        ordering = ["-announced_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="draw_number_per_task"),
            # One live draw per task: a second announce or execute cannot slip in.
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(superseded_at__isnull=True),
                name="draw_one_live_per_task",
                violation_error_message=_("该任务已有一次有效的抽取。"),
            ),
            models.CheckConstraint(
                condition=Q(status="announced") | Q(result__isnull=False),
                name="draw_executed_has_result",
            ),
        ]

    def __str__(self) -> str:
        return _("%(task)s 第 %(n)s 次抽取") % {"task": self.task, "n": self.number}

    @property
    def is_executed(self) -> bool:
        return self.status == self.Status.EXECUTED


class DrawSelection(models.Model):
    """A selected target, in selection order, with its inspection team (TeamMember)."""

    draw = models.ForeignKey(
        Draw, verbose_name=_("抽取"), on_delete=models.PROTECT, related_name="selections"
    )
    order = models.PositiveIntegerField(_("顺序"))
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("检查对象"),
        on_delete=models.PROTECT,
        related_name="draw_selections",
    )
    stratum = models.CharField(_("层"), max_length=10)
    digest = models.CharField(_("摘要"), max_length=32)

    class Meta:
        verbose_name = _("抽中对象")
        verbose_name_plural = _("抽中对象")
        ordering = ["draw", "order"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "order"], name="selection_order"),
            models.UniqueConstraint(fields=["draw", "institution"], name="selection_once"),
        ]

    def __str__(self) -> str:
        return str(self.institution)


class TeamMember(models.Model):
    selection = models.ForeignKey(
        DrawSelection, verbose_name=_("抽中对象"), on_delete=models.PROTECT, related_name="team"
    )
    inspector = models.ForeignKey(
        Inspector,
        verbose_name=_("执法检查人员"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    borrowed = models.BooleanField(_("跨辖区借调"), default=False)

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        ordering = ["selection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "inspector"], name="team_member_once"),
        ]

    def __str__(self) -> str:
        return str(self.inspector)


class RedrawRequest(models.Model):
    """A request to draw a task again (N10–N12, Y3.5): the office states the reason and names the
    new sources; a unit head other than the requester approves it — which announces the re-draw —
    or refuses it with a reason. Pending requests reach every approver as a notification and
    wait in their list (issue 12 §11); the record stays, whatever the decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("不批准")

    draw = models.ForeignKey(
        Draw, verbose_name=_("原抽取"), on_delete=models.PROTECT, related_name="redraw_requests"
    )
    # The draw's status when asked: a draw executed since is not what the approver would decide.
    draw_status = models.CharField(_("申请时抽取状态"), max_length=10, choices=Draw.Status.choices)
    reason = models.TextField(_("重新抽取理由"))
    sources = models.JSONField(_("新的随机源"))
    missing_rule = models.TextField(_("随机源缺失时的处理规则"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    refusal_reason = models.TextField(_("不批准理由"), blank=True)
    redraw = models.OneToOneField(
        Draw,
        verbose_name=_("重新抽取"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redraw_request",
    )

    class Meta:
        verbose_name = _("重新抽取申请")
        verbose_name_plural = _("重新抽取申请")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["draw"],
                condition=Q(status="pending"),
                name="redraw_request_one_pending_per_draw",
                violation_error_message=_("该抽取已有一份待审批的重新抽取申请。"),
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (
                    ~Q(status="pending")
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~Q(decided_by=models.F("requested_by"))
                ),
                name="redraw_request_decided_by_another",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="redraw_request_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="approved", redraw__isnull=False)
                | (~Q(status="approved") & Q(redraw__isnull=True)),
                name="redraw_request_approved_has_redraw",
            ),
        ]

    def __str__(self) -> str:
        return _("%(draw)s 的重新抽取申请") % {"draw": self.draw}
