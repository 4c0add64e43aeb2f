"""Inspections in the field (Y3.5, N9, N11, SPEC §4): one inspection per selected target, done by
its team, recorded on a check record (检查记录) with one row per check item, evidence and
signatures. Submitted records are locked; a correction is a new version with a reason."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from inspections.models.draws import DrawSelection
from inspections.models.tasks import InspectionTask
from registry.models import CheckItem, Inspector, Institution, Method


class Inspection(models.Model):
    """One target of a task and the team that inspects it (N11: at least two inspectors)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("待检查")
        IN_PROGRESS = "in_progress", _("检查中")
        SUBMITTED = "submitted", _("已提交记录")
        CANCELLED = "cancelled", _("已取消")

    task = models.ForeignKey(
        InspectionTask,
        verbose_name=_("检查任务"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    # The draw's selection it comes from (random tasks); none for special and case inspections.
    selection = models.OneToOneField(
        DrawSelection,
        verbose_name=_("抽中对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("检查对象"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspectors = models.ManyToManyField(
        Inspector,
        verbose_name=_("检查组"),
        through="InspectionMember",
        related_name="inspections",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["task", "selection__order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "institution"],
                condition=~Q(status="cancelled"),
                name="inspection_once_per_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.institution}"


class InspectionMember(models.Model):
    """A member of an inspection's team; position 1 leads the team (组长)."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="members"
    )
    inspector = models.ForeignKey(
        Inspector, verbose_name=_("执法检查人员"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    borrowed = models.BooleanField(_("跨辖区借调"), default=False)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        ordering = ["inspection", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "inspector"], name="inspection_member_once"
            ),
            models.UniqueConstraint(
                fields=["inspection", "position"], name="inspection_member_position"
            ),
        ]

    def __str__(self) -> str:
        return str(self.inspector)

    @property
    def is_leader(self) -> bool:
        return self.position == 1


class CheckRecord(models.Model):
    """The check record (检查记录) of an inspection, modelled on attachment 2 of the Ningxia rules.
    Version 1 is the original; each correction is a new version with a reason (every version is
    kept). While a draft, it is saved as the inspector types; `revision` counts those saves so a
    save sent twice (a retried request, an offline queue) is applied once."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="records"
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    correction_of = models.OneToOneField(
        "self",
        verbose_name=_("更正的版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
    )
    correction_reason = models.TextField(_("更正理由"), blank=True)
    revision = models.PositiveIntegerField(_("草稿保存次数"), default=0)

    inspected_on = models.DateField(_("检查日期"), null=True, blank=True)
    place = models.CharField(_("检查地点"), max_length=200, blank=True)
    # Y3.5: the procedure of the check.
    certificates_shown = models.BooleanField(_("已出示执法证件"), default=False)
    rights_told = models.BooleanField(_("已告知权利义务"), default=False)
    statement = models.TextField(_("被检查对象陈述申辩"), blank=True)
    questions = models.TextField(_("询问及回答"), blank=True)
    representative_name = models.CharField(_("被检查对象到场人员"), max_length=50, blank=True)
    representative_title = models.CharField(_("到场人员职务"), max_length=50, blank=True)
    representative_refused = models.BooleanField(
        _("到场人员拒绝签字"), default=False, help_text=_("拒绝签字的，由检查人员注明。")
    )
    summary = models.TextField(_("检查情况综述"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("最后保存时间"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    pdf = models.FileField(_("检查记录 PDF"), upload_to="records/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF 的 SHA-256"), max_length=64, blank=True)
    # What the PDF shows, frozen when the record is submitted (inspections/services/snapshots.py).
    snapshot = models.JSONField(_("文书快照"), null=True, blank=True, editable=False)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["snapshot"])

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["inspection", "version"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "version"], name="record_version"),
            models.UniqueConstraint(
                fields=["inspection"],
                condition=Q(status="draft"),
                name="record_one_draft",
                violation_error_message=_("一次检查同时只能有一份草稿。"),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="record_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return _("%(inspection)s 检查记录（第 %(v)s 版）") % {
            "inspection": self.inspection,
            "v": self.version,
        }

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class CheckRecordItem(models.Model):
    """One row of the record: a check item of the task and what was found (N9: none may be left
    without an outcome when the record is submitted)."""

    class Outcome(models.TextChoices):
        COMPLIANT = "compliant", _("符合要求")
        PROBLEM = "problem", _("发现问题")
        NOT_APPLICABLE = "not_applicable", _("不适用")

    record = models.ForeignKey(
        CheckRecord, verbose_name=_("检查记录"), on_delete=models.CASCADE, related_name="items"
    )
    check_item = models.ForeignKey(
        CheckItem, verbose_name=_("检查事项"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("序号"))
    outcome = models.CharField(_("检查结果"), max_length=16, choices=Outcome.choices, blank=True)
    not_applicable_reason = models.TextField(_("不适用理由"), blank=True)
    finding = models.TextField(_("检查情况"), blank=True)
    method = models.CharField(_("检查方式"), max_length=10, choices=Method.choices, blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("检查记录事项")
        verbose_name_plural = _("检查记录事项")
        ordering = ["record", "order"]
        constraints = [
            models.UniqueConstraint(fields=["record", "check_item"], name="record_item_once"),
        ]

    def __str__(self) -> str:
        return str(self.check_item)


class Evidence(models.Model):
    """A photo or PDF attached to a record (or one of its items). Type checked by content, at most
    10 MB, images re-encoded without location data; the SHA-256 is of the stored file."""

    record = models.ForeignKey(
        CheckRecord, verbose_name=_("检查记录"), on_delete=models.CASCADE, related_name="evidence"
    )
    item = models.ForeignKey(
        CheckRecordItem,
        verbose_name=_("检查事项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("文件"), upload_to="evidence/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")
        ordering = ["record", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Signature(models.Model):
    """A signature drawn on the screen: an inspector of the team (Y3.3, N11: at least two eligible
    on the inspection date) or the target's representative (Y3.5)."""

    class Role(models.TextChoices):
        INSPECTOR = "inspector", _("检查人员")
        REPRESENTATIVE = "representative", _("被检查对象到场人员")

    class Confirmation(models.TextChoices):
        SESSION = "session", _("本人登录账号")
        PASSWORD = "password", _("本人登录密码当场核验")
        PIN = "pin", _("本人签名密码当场核验")
        CAPTURED = "captured", _("检查人员当场采集")

    record = models.ForeignKey(
        CheckRecord, verbose_name=_("检查记录"), on_delete=models.CASCADE, related_name="signatures"
    )
    role = models.CharField(_("签名人身份"), max_length=16, choices=Role.choices)
    inspector = models.ForeignKey(
        Inspector,
        verbose_name=_("执法检查人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=50)
    image = models.FileField(_("签名图像"), upload_to="signatures/%Y/%m/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signed_at = models.DateTimeField(_("签名时间"))
    # Y3.3, N11: each inspector's signature is confirmed by that inspector — their own session,
    # or their password or signing PIN typed on the tablet — and the row keeps who captured it,
    # on which device and how (Y4(2): traceable).
    confirmed_by = models.CharField(
        _("签名确认方式"), max_length=12, choices=Confirmation.choices, blank=True
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("采集账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("签名时在该设备上登录的账号。"),
    )
    device = models.CharField(_("设备标识"), max_length=64, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("签名")
        verbose_name_plural = _("签名")
        ordering = ["record", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "inspector"],
                condition=Q(role="inspector"),
                name="signature_inspector_once",
            ),
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(role="representative"),
                name="signature_representative_once",
            ),
            models.CheckConstraint(
                condition=Q(role="representative") | Q(inspector__isnull=False),
                name="signature_inspector_named",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SigningPin(models.Model):
    """An inspector's signing PIN (签名密码): typed on a colleague's tablet to confirm their own
    signature (Y3.3, N11), so two inspectors can sign on one device without either logging in
    as the other. Stored as a password hash; wrong entries are counted and lock signing for a
    while."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="signing_pin",
    )
    pin = models.CharField(_("签名密码（哈希）"), max_length=128, blank=True)
    set_at = models.DateTimeField(_("设置时间"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("连续错误次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["pin"])

    class Meta:
        verbose_name = _("签名密码")
        verbose_name_plural = _("签名密码")

    def __str__(self) -> str:
        return str(self.user)


class Tablet(models.Model):
    """A bureau tablet bound for the field screens (issue 14 §1, docs/security.md 身份鉴别): an
    inspector's password opens /inspect/ only on a bound tablet. The office registers the tablet
    and gets a one-time binding code; typed on the tablet, it is exchanged for a long random token
    the tablet keeps in a signed, HttpOnly cookie. Only SHA-256 digests are stored."""

    name = models.CharField(_("名称"), max_length=100, help_text=_("如：监督科 1 号平板"))
    token_hash = models.CharField(
        _("设备令牌（SHA-256）"), max_length=64, blank=True, db_index=True
    )
    binding_code_hash = models.CharField(_("绑定码（SHA-256）"), max_length=64, blank=True)
    binding_code_expires = models.DateTimeField(_("绑定码有效至"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    bound_at = models.DateTimeField(_("绑定时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("最近登录"), null=True, blank=True)

    class Meta:
        verbose_name = _("执法平板")
        verbose_name_plural = _("执法平板")

    def __str__(self) -> str:
        return self.name
