"""The registry of inspectors (执法检查人员名录库, Y3.3): enforcement officers, their certificates,
sectors and login accounts, and the conflicts of interest that recuse them (N11)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from registry.models.reference import Jurisdiction, Sector
from registry.models.targets import Institution, Practitioner


class InspectorQuerySet(models.QuerySet):
    def eligible_on(self, day: dt.date, sector: "Sector"):
        """Y3.3: active bureau staff with an enforcement certificate valid that day, qualified for
        the sector. Association staff are never eligible."""
        return self.filter(
            status=Inspector.Status.ACTIVE,
            staff_type=Inspector.StaffType.BUREAU,
            certificate_valid_from__lte=day,
            certificate_valid_to__gte=day,
            sectors=sector,
        )


class Inspector(models.Model):
    """An enforcement officer in the inspector registry (执法检查人员名录库, Y3.3)."""

    class StaffType(models.TextChoices):
        BUREAU = "bureau", _("司法行政机关工作人员")
        ASSOCIATION = "association", _("行业协会工作人员")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在岗")
        SUSPENDED = "suspended", _("暂停执法")
        LEFT = "left", _("调离/退休")

    name = models.CharField(_("姓名"), max_length=50)
    certificate_number = models.CharField(_("执法证号"), max_length=30, unique=True)
    certificate_valid_from = models.DateField(_("执法证有效期起"), default=dt.date(2020, 1, 1))
    certificate_valid_to = models.DateField(_("执法证有效期至"))
    issuing_authority = models.CharField(_("发证机关"), max_length=100, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("所属辖区"),
        on_delete=models.PROTECT,
        related_name="inspectors",
    )
    sectors = models.ManyToManyField(
        Sector, verbose_name=_("可检查行业"), related_name="inspectors"
    )
    staff_type = models.CharField(
        _("人员类别"), max_length=20, choices=StaffType.choices, default=StaffType.BUREAU
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspector",
    )
    history = HistoricalRecords(get_user=history_user, m2m_fields=[sectors])

    objects = InspectorQuerySet.as_manager()

    class Meta:
        verbose_name = _("执法检查人员")
        verbose_name_plural = _("执法检查人员名录")
        ordering = ["certificate_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(certificate_valid_to__gte=models.F("certificate_valid_from")),
                name="inspector_certificate_range",
                violation_error_message=_("执法证有效期至不能早于有效期起。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_number}）"

    def ineligibility_reasons(self, day: dt.date, sector: Sector | None = None) -> list[str]:
        """Why this inspector cannot be drawn on `day` (for `sector`); empty when eligible.
        Uses prefetched sectors when available."""
        reasons = []
        if self.staff_type != self.StaffType.BUREAU:
            reasons.append(gettext("行业协会工作人员不得代替执法人员"))
        if self.status != self.Status.ACTIVE:
            reasons.append(gettext("状态：%(s)s") % {"s": self.get_status_display()})
        if day < self.certificate_valid_from:
            reasons.append(gettext("执法证尚未生效"))
        if day > self.certificate_valid_to:
            reasons.append(gettext("执法证已于 %(d)s 过期") % {"d": self.certificate_valid_to})
        if sector is not None and sector not in self.sectors.all():
            reasons.append(gettext("无%(s)s行业检查资格") % {"s": sector})
        return reasons

    def eligible_on(self, day: dt.date, sector: Sector | None = None) -> bool:
        return not self.ineligibility_reasons(day, sector)


class Conflict(models.Model):
    """A conflict of interest (利害关系) that recuses an inspector (N11). A conflict with a
    practitioner binds the practitioner's institution as well."""

    class Kind(models.TextChoices):
        EMPLOYMENT = "employment", _("曾在该机构任职")
        KINSHIP = "kinship", _("近亲属关系")
        FINANCIAL = "financial", _("经济利益关系")
        DISPUTE = "dispute", _("曾有纠纷")
        OTHER = "other", _("其他")

    class Source(models.TextChoices):
        SELF = "self", _("本人申报")
        REPORTED = "reported", _("他人举报")
        STAFF = "staff", _("工作人员核实")

    inspector = models.ForeignKey(
        Inspector,
        verbose_name=_("执法检查人员"),
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="conflicts"
    )
    practitioner = models.ForeignKey(
        Practitioner,
        verbose_name=_("执业人员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    kind = models.CharField(_("关系类型"), max_length=20, choices=Kind.choices)
    valid_from = models.DateField(_("起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.SELF)
    note = models.TextField(_("说明"), blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("利害关系")
        verbose_name_plural = _("利害关系（回避）")
        ordering = ["inspector", "institution"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "institution", "kind"],
                condition=Q(practitioner__isnull=True),
                name="conflict_unique_institution",
                violation_error_message=_("该利害关系已登记。"),
            ),
            models.UniqueConstraint(
                fields=["inspector", "practitioner", "kind"],
                condition=Q(practitioner__isnull=False),
                name="conflict_unique_practitioner",
                violation_error_message=_("该利害关系已登记。"),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="conflict_valid_range",
                violation_error_message=_("截止日期不能早于起始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} ↔ {self.practitioner or self.institution}"

    def clean(self) -> None:
        if (
            self.practitioner_id
            and self.institution_id
            and self.practitioner.institution_id != self.institution_id
        ):
            raise ValidationError({"practitioner": _("该执业人员不在所选机构执业。")})

    def active_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )
