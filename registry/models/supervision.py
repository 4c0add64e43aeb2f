"""An institution's supervision history and the risk tiers derived from it (Y3.2, N8): the
records, each jurisdiction's thresholds, and the log of whole recomputations."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from registry.models.reference import Jurisdiction
from registry.models.targets import Institution


class SupervisionRecord(models.Model):
    """An event of an institution's supervision history; the risk tier is derived from these (Y3.2)."""

    class Kind(models.TextChoices):
        PENALTY = "penalty", _("行政处罚")
        COMPLAINT = "complaint", _("投诉")
        SATISFACTION = "satisfaction", _("满意度评价")
        PRO_BONO = "pro_bono", _("参与公益法律服务")
        PRO_BONO_REFUSAL = "pro_bono_refusal", _("拒绝公益法律服务")
        ABNORMAL = "abnormal", _("列入经营异常名录")
        COMMENDATION = "commendation", _("表彰奖励")
        INSPECTION = "inspection", _("以往抽查结果")

    # Y3.2: the public face shows supervision and reward/penalty records; complaints and
    # satisfaction surveys stay internal (they may name complainants).
    PUBLIC_KINDS = (Kind.PENALTY, Kind.ABNORMAL, Kind.COMMENDATION, Kind.INSPECTION)

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="supervision_records",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("日期"))
    valid = models.BooleanField(
        _("有效"), default=True, help_text=_("投诉经核查属实为有效；其他类型保持勾选。")
    )
    score = models.DecimalField(
        _("满意度得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    ended_on = models.DateField(_("移出/结束日期"), null=True, blank=True)
    reference = models.CharField(_("文号"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("监管记录")
        verbose_name_plural = _("监管记录")
        ordering = ["-date"]
        indexes = [models.Index(fields=["institution", "kind", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="satisfaction") | Q(score__isnull=False),
                name="supervision_satisfaction_has_score",
                violation_error_message=_("满意度评价必须填写得分。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"

    @property
    def is_public(self) -> bool:
        return self.kind in self.PUBLIC_KINDS


class RiskPolicy(models.Model):
    """Thresholds of the risk tiers for one jurisdiction (Y3.2, N8); defaults apply without one."""

    jurisdiction = models.OneToOneField(
        Jurisdiction, verbose_name=_("辖区"), on_delete=models.CASCADE, related_name="risk_policy"
    )
    lookback_months = models.PositiveSmallIntegerField(_("统计期间（月）"), default=12)
    penalty_lookback_months = models.PositiveSmallIntegerField(
        _("行政处罚统计期间（月）"), default=36
    )
    key_valid_complaints = models.PositiveSmallIntegerField(
        _("列为重点的有效投诉数（≥）"), default=2
    )
    key_satisfaction_below = models.DecimalField(
        _("列为重点的满意度（低于）"), max_digits=5, decimal_places=2, default=60
    )
    reduced_max_valid_complaints = models.PositiveSmallIntegerField(
        _("降低频次允许的有效投诉数（≤）"), default=0
    )
    reduced_satisfaction_min = models.DecimalField(
        _("降低频次要求的满意度（≥）"), max_digits=5, decimal_places=2, default=90
    )
    reduced_requires_pro_bono = models.BooleanField(_("降低频次要求参与公益法律服务"), default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("风险分级标准")
        verbose_name_plural = _("风险分级标准")

    def __str__(self) -> str:
        return str(self.jurisdiction)


class RiskRefresh(models.Model):
    """A recomputation of every institution's risk tier as of `day` (nightly, or on demand).
    Every write of a supervision record, a risk policy or an import refreshes what it touched, so
    after today's run the stored tiers are current and a draw can take them as they are (Y3.2)."""

    day = models.DateField(_("计算日期"), db_index=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    assessed = models.PositiveIntegerField(_("评估机构数"))
    changed = models.PositiveIntegerField(_("等级变化机构数"))

    class Meta:
        verbose_name = _("风险等级重算记录")
        verbose_name_plural = _("风险等级重算记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.day}（{self.assessed}）"
