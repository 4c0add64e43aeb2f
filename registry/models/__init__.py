"""The one list and two registries (一单两库, SPEC §1): jurisdictions, sectors, the check-item list,
institutions and practitioners (targets), their supervision history, inspectors and conflicts."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from registry.validators import (
    credit_code_error,
    validate_credit_code,
    validate_division_code,
    validate_id_number,
)


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
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # Personal data stays out of the audit trail (who changed the record and when is still kept).
    history = HistoricalRecords(get_user=history_user, excluded_fields=["id_number", "phone"])

    class Meta:
        verbose_name = _("执业人员")
        verbose_name_plural = _("检查对象名录（执业人员）")
        ordering = ["certificate_number"]
        permissions = [("view_personal_data", _("查看执业人员个人信息（身份证号、联系电话）"))]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_number}）"


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
