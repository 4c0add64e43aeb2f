"""The annual plan (年度抽查计划, Y3.4, N7–N9): per sector its check items, scope, ratios, team size,
method and rounds; published by 31 January; changes are published revisions."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from registry.models import CheckItem, Jurisdiction, Method, Sector

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class AnnualPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已公布")

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The content as published (Y3.4); later changes reach the public through revisions only.
    snapshot = models.JSONField(_("公布时的计划内容"), default=dict, blank=True)
    history = HistoricalRecords(get_user=history_user, excluded_fields=["snapshot"])

    class Meta:
        verbose_name = _("年度抽查计划")
        verbose_name_plural = _("年度抽查计划")
        ordering = ["-year", "jurisdiction__code"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "year"], name="plan_one_per_year"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def due_date(self) -> dt.date:
        """Y3.4: published by 31 January of the plan's year."""
        return dt.date(self.year, 1, 31)

    @property
    def published_on(self) -> dt.date | None:
        return timezone.localdate(self.published_at) if self.published_at else None

    @property
    def is_late(self) -> bool:
        day = self.published_on or timezone.localdate()
        return day > self.due_date

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def open_revision(self) -> "PlanRevision | None":
        return self.revisions.filter(published_at__isnull=True).first()


class DrawParameters(models.Model):
    """Sampling ratios per risk tier and team size (N8, N11): set in the plan, copied to tasks."""

    ratio_key = models.DecimalField(
        _("重点对象抽查比例（%）"), max_digits=5, decimal_places=2, default=20, validators=PERCENT
    )
    ratio_normal = models.DecimalField(
        _("一般对象抽查比例（%）"), max_digits=5, decimal_places=2, default=5, validators=PERCENT
    )
    ratio_reduced = models.DecimalField(
        _("降低频次对象抽查比例（%）"),
        max_digits=5,
        decimal_places=2,
        default=2,
        validators=PERCENT,
    )
    team_size = models.PositiveSmallIntegerField(
        _("每组检查人员数"),
        default=2,
        validators=[MinValueValidator(2)],
        help_text=_("每个检查对象至少 2 名执法人员（N11）。"),
    )

    class Meta:
        abstract = True

    @property
    def ratios(self) -> dict[str, Decimal]:
        return {"key": self.ratio_key, "normal": self.ratio_normal, "reduced": self.ratio_reduced}


class PlanSection(DrawParameters):
    """One sector of the plan (N7): the items, scope, ratios per risk tier, team size, methods."""

    plan = models.ForeignKey(
        AnnualPlan, verbose_name=_("计划"), on_delete=models.CASCADE, related_name="sections"
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    check_items = models.ManyToManyField(CheckItem, verbose_name=_("抽查事项"), related_name="+")
    target_scope = models.CharField(
        _("检查对象范围"), max_length=300, default=_("辖区内全部执业机构")
    )
    methods = models.JSONField(_("抽查方式"), default=list)
    history = HistoricalRecords(get_user=history_user, m2m_fields=[check_items])

    class Meta:
        verbose_name = _("计划行业")
        verbose_name_plural = _("计划行业")
        ordering = ["plan", "sector__order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sector"], name="plan_section_one_per_sector"),
            models.CheckConstraint(
                condition=Q(team_size__gte=2),
                name="plan_section_team_of_two",
                violation_error_message=_("每组至少 2 名执法人员（N11）。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.sector}"

    def get_methods_display(self) -> str:
        labels = dict(Method.choices)
        return "、".join(str(labels.get(m, m)) for m in self.methods or [])


class PlanRound(models.Model):
    """A round of inspections of one sector, with its time window (Y3.4: the time of each)."""

    section = models.ForeignKey(
        PlanSection, verbose_name=_("计划行业"), on_delete=models.CASCADE, related_name="rounds"
    )
    number = models.PositiveSmallIntegerField(_("批次"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("抽查批次")
        verbose_name_plural = _("抽查批次")
        ordering = ["section", "number"]
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="plan_round_number"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="plan_round_dates",
                violation_error_message=_("结束日期不能早于开始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return _("第 %(n)s 批（%(start)s 至 %(end)s）") % {
            "n": self.number,
            "start": self.starts_on,
            "end": self.ends_on,
        }


class PlanRevision(models.Model):
    """A change to a published plan (Y3.4): published within 5 working days of the change and at
    least 10 working days before the inspection it affects. Every revision stays public."""

    plan = models.ForeignKey(
        AnnualPlan, verbose_name=_("计划"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveSmallIntegerField(_("修订序号"))
    reason = models.TextField(_("修订原因"))
    summary = models.TextField(_("修订内容"))
    changed_on = models.DateField(_("决定修订日期"))
    affected_starts_on = models.DateField(
        _("受影响检查的开始日期"), help_text=_("本次修订影响的最早一批检查的开始日期。")
    )
    publish_by = models.DateField(_("最迟发布日期"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    snapshot = models.JSONField(_("修订后计划内容"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("计划修订")
        verbose_name_plural = _("计划修订")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_number"),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(published_at__isnull=True),
                name="plan_one_open_revision",
                violation_error_message=_("该计划已有一项未发布的修订。"),
            ),
        ]

    def __str__(self) -> str:
        return _("%(plan)s 第 %(n)s 次修订") % {"plan": self.plan, "n": self.number}

    @property
    def published_on(self) -> dt.date | None:
        return timezone.localdate(self.published_at) if self.published_at else None

    @property
    def is_late(self) -> bool:
        day = self.published_on or timezone.localdate()
        return day > self.publish_by
