"""The check-item list (抽查事项清单, N5, Y3.1): the one list every inspection's content comes
from, with the inspection methods of Y3.5."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from registry.models.reference import Sector


class Method(models.TextChoices):
    """Inspection methods of Y3.5."""

    ON_SITE = "on_site", _("现场检查")
    SYSTEM = "system", _("信息系统核查")
    PHONE = "phone", _("电话回访当事人")
    WRITTEN = "written", _("书面/网上检查")
    CASE_FILE = "case_file", _("案卷评查")


class CheckItemQuerySet(models.QuerySet):
    def active_on(self, day: dt.date):
        return self.filter(
            Q(effective_from__lte=day), Q(effective_to__isnull=True) | Q(effective_to__gte=day)
        )


class CheckItem(models.Model):
    """An item of the check-item list (抽查事项清单, N5, Y3.1): every inspection's content comes from
    here, and each item carries its legal basis (Y3.4)."""

    sector = models.ForeignKey(
        Sector, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="check_items"
    )
    code = models.CharField(_("事项编码"), max_length=30, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    content = models.TextField(_("抽查内容"))
    legal_basis = models.TextField(
        _("抽查依据"), help_text=_("到条款一级，例如《律师法》第二十三条。")
    )
    organizing_body = models.CharField(_("抽查主体"), max_length=100)
    methods = models.JSONField(_("抽查方式"), default=list)
    default_ratio = models.DecimalField(
        _("抽查比例（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    frequency_per_year = models.PositiveSmallIntegerField(_("抽查频次（次/年）"), default=1)
    is_key = models.BooleanField(_("重点事项"), default=False)
    effective_from = models.DateField(_("生效日期"), default=dt.date(2020, 1, 1))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    history = HistoricalRecords(get_user=history_user)

    objects = CheckItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查事项")
        verbose_name_plural = _("抽查事项清单")
        ordering = ["sector__order", "order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="checkitem_effective_range",
                violation_error_message=_("失效日期不能早于生效日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        unknown = [m for m in self.methods or [] if m not in Method.values]
        if unknown:
            raise ValidationError(
                {"methods": _("未知的抽查方式：%(m)s") % {"m": ", ".join(unknown)}}
            )

    def get_methods_display(self) -> str:
        labels = dict(Method.choices)
        return "、".join(str(labels.get(m, m)) for m in self.methods or [])
