"""The registry of targets (检查对象名录库): licensed institutions, with the risk tier derived from
their supervision history, and their practitioners."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from core.pii import EncryptedCharField
from registry.models.reference import Jurisdiction, Sector
from registry.validators import validate_credit_code, validate_id_number


class RiskTier(models.TextChoices):
    """Y3.2, N8: key targets are inspected more often, reduced ones less."""

    KEY = "key", _("重点")
    NORMAL = "normal", _("一般")
    REDUCED = "reduced", _("降低频次")


class InstitutionQuerySet(models.QuerySet):
    def practising(self):
        return self.filter(status=Institution.Status.PRACTISING)


class Institution(models.Model):
    """A target of inspection (检查对象): a licensed legal-service institution."""

    class Status(models.TextChoices):
        PRACTISING = "practising", _("执业")
        SUSPENDED = "suspended", _("停业整顿")
        REVOKED = "revoked", _("吊销")
        DEREGISTERED = "deregistered", _("注销")

    sector = models.ForeignKey(
        Sector, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="institutions"
    )
    name = models.CharField(_("机构名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    licence_number = models.CharField(_("执业许可证号"), max_length=50, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="institutions"
    )
    address = models.CharField(_("地址"), max_length=300, blank=True)
    person_in_charge = models.CharField(_("负责人"), max_length=50, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PRACTISING
    )
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    size = models.PositiveIntegerField(_("规模（执业人员数）"), null=True, blank=True)
    # Derived from the supervision history by registry.services.institution_risk_refresh.
    risk_tier = models.CharField(
        _("风险等级"), max_length=10, choices=RiskTier.choices, default=RiskTier.NORMAL
    )
    risk_reasons = models.JSONField(_("风险等级依据"), default=list, blank=True)
    risk_updated_at = models.DateTimeField(_("风险等级更新时间"), null=True, blank=True)
    history = HistoricalRecords(
        get_user=history_user, excluded_fields=["risk_tier", "risk_reasons", "risk_updated_at"]
    )

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("检查对象名录（机构）")
        ordering = ["credit_code"]
        indexes = [models.Index(fields=["sector", "status"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.sector_id and self.credit_code:
            error = self.sector.credit_code_error(self.credit_code)
            if error:
                raise ValidationError({"credit_code": error})

    @property
    def risk_reasons_text(self) -> str:
        return "；".join(self.risk_reasons or [])


class Practitioner(models.Model):
    """A licensed practitioner; the ID number and phone are personal data, never public."""

    class Status(models.TextChoices):
        PRACTISING = "practising", _("执业")
        SUSPENDED = "suspended", _("停止执业")
        REVOKED = "revoked", _("吊销")
        DEREGISTERED = "deregistered", _("注销")

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("所在机构"),
        on_delete=models.PROTECT,
        related_name="practitioners",
    )
    name = models.CharField(_("姓名"), max_length=50)
    certificate_number = models.CharField(_("执业证号"), max_length=30, unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.PRACTISING
    )
    # Personal data (PIPL): stored encrypted (core.pii), shown masked unless revealed (audited).
    id_number = EncryptedCharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True)
    # Personal data stays out of the audit trail (who changed the record and when is still kept).
    history = HistoricalRecords(get_user=history_user, excluded_fields=["id_number", "phone"])

    class Meta:
        verbose_name = _("执业人员")
        verbose_name_plural = _("检查对象名录（执业人员）")
        ordering = ["certificate_number"]
        permissions = [("view_personal_data", _("查看执业人员个人信息（身份证号、联系电话）"))]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_number}）"
