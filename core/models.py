"""The working-day calendar (SPEC §6): holidays and adjusted working days under the State Council's
schedule, and which years are known. Deadlines are computed from it (core.services)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CalendarDay(models.Model):
    """A day that differs from the plain Monday–Friday week: a public holiday (also on a weekday), or
    a weekend day that is a working day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("休息日（法定节假日/调休休息）")
        WORKDAY = "workday", _("调休上班日")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """A year counts as known only when seeded from chinese-calendar or marked complete by staff."""

    class Source(models.TextChoices):
        SEEDED = "seeded", _("由 chinese-calendar 导入")
        STAFF = "staff", _("工作人员录入")

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    complete = models.BooleanField(
        _("已完整"),
        default=False,
        help_text=_("只有标记为完整的年份才能用于期限计算。"),
    )
    source = models.CharField(
        _("来源"), max_length=10, choices=Source.choices, default=Source.STAFF
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("标记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_at = models.DateTimeField(_("标记时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)
