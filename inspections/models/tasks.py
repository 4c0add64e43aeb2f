"""Inspection tasks (N10): one round of a plan for one sector in one jurisdiction, or a two-stage
task over several jurisdictions (N12). Only random (双随机) tasks are drawn."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from inspections.models.plans import DrawParameters, PlanRound
from registry.models import Jurisdiction, Sector


class InspectionTask(DrawParameters):
    class Kind(models.TextChoices):
        RANDOM = "random", _("双随机抽查")
        SPECIAL = "special", _("专项检查")
        CASE = "case", _("案件线索检查")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已审批")
        REJECTED = "rejected", _("未获批准")

    name = models.CharField(_("任务名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.RANDOM)
    plan_round = models.ForeignKey(
        PlanRound,
        verbose_name=_("计划批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    jurisdictions = models.ManyToManyField(
        Jurisdiction, verbose_name=_("辖区"), related_name="tasks"
    )
    two_stage = models.BooleanField(
        _("两阶段抽取（先抽辖区）"),
        default=False,
        help_text=_("N12：先随机抽取辖区，再在抽中的辖区内抽取检查对象。"),
    )
    jurisdictions_to_draw = models.PositiveSmallIntegerField(_("抽取辖区数"), null=True, blank=True)
    starts_on = models.DateField(_("检查开始日期"))
    ends_on = models.DateField(_("检查结束日期"))
    status = models.CharField(
        _("审批状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人（单位负责人）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approval_note = models.TextField(_("审批意见"), blank=True)
    late_reason = models.TextField(
        _("检查期间已过仍予批准的理由"),
        blank=True,
        help_text=_("批准时检查期间已经结束或所剩无几的，由单位负责人确认并写明理由。"),
    )
    history = HistoricalRecords(get_user=history_user, m2m_fields=[jurisdictions])

    class Meta:
        verbose_name = _("检查任务")
        verbose_name_plural = _("检查任务")
        ordering = ["-starts_on", "name"]
        permissions = [("approve_inspectiontask", _("审批检查任务（单位负责人）"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="random") | Q(plan_round__isnull=False),
                name="task_random_needs_plan_round",
                violation_error_message=_("双随机抽查任务必须属于年度计划的某一批次。"),
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="task_dates",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
            models.CheckConstraint(
                condition=Q(team_size__gte=2),
                name="task_team_of_two",
                violation_error_message=_("每组至少 2 名执法人员（N11）。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def current_draw(self):
        return self.draws.filter(superseded_at__isnull=True).first()
