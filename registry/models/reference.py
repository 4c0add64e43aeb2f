"""The reference data every registry points at: the administrative divisions (GB/T 2260) with
their deadline policy, and the six legal-service sectors of N5."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from registry.validators import credit_code_error, validate_division_code


class Jurisdiction(models.Model):
    """An administrative division (GB/T 2260) and its deadline policy."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    code = models.CharField(
        _("行政区划代码"), max_length=6, unique=True, validators=[validate_division_code]
    )
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # N11, Y3.5: inspectors may be borrowed from neighbouring jurisdictions.
    neighbours = models.ManyToManyField(
        "self", verbose_name=_("相邻辖区"), blank=True, symmetrical=True
    )
    # Y3.6: 20 working days; N15 (Ningxia): 10 working days.
    publication_deadline_workdays = models.PositiveSmallIntegerField(
        _("结果公示期限（工作日）"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "抽查结束后多少个工作日内公示结果：渝中区规则为 20 个工作日，宁夏细则为 10 个工作日。"
        ),
    )
    history = HistoricalRecords(get_user=history_user, m2m_fields=[neighbours])

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Sector(models.Model):
    """One of the six legal-service sectors of N5; fixed, created by migration."""

    class Code(models.TextChoices):
        LAWYER = "lawyer", _("律师")
        NOTARY = "notary", _("公证")
        APPRAISAL = "appraisal", _("司法鉴定")
        ARBITRATION = "arbitration", _("仲裁")
        LEGAL_AID = "legal_aid", _("法律援助")
        GRASSROOTS = "grassroots", _("基层法律服务")

    # SPEC §7: second character of the credit code of justice-registered institutions; legal-aid
    # bodies are public institutions registered by the establishment authority (prefix 1x).
    CREDIT_PREFIX = {
        Code.LAWYER: "31",
        Code.NOTARY: "32",
        Code.GRASSROOTS: "33",
        Code.APPRAISAL: "34",
        Code.ARBITRATION: "35",
        Code.LEGAL_AID: "1",
    }

    code = models.CharField(_("代码"), max_length=20, choices=Code.choices, unique=True)
    name = models.CharField(_("名称"), max_length=20, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("行业")
        verbose_name_plural = _("行业")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.get_code_display()

    @property
    def credit_prefix(self) -> str:
        return self.CREDIT_PREFIX[self.code]

    def credit_code_error(self, code: str) -> str | None:
        """Why `code` cannot be the credit code of an institution of this sector, or None."""
        error = credit_code_error(code)
        if error:
            return error
        if not code.startswith(self.credit_prefix):
            return gettext(
                "统一社会信用代码前缀应为 %(prefix)s（%(sector)s），实为 %(actual)s。"
            ) % {
                "prefix": self.credit_prefix + ("x" if len(self.credit_prefix) == 1 else ""),
                "sector": self.get_code_display(),
                "actual": code[: len(self.credit_prefix) if len(self.credit_prefix) > 1 else 2],
            }
        return None
