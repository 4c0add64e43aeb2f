"""After the visits (N10(4–6), N13, N14, N16, Y3.6): the inspection report with each target's
result, the feedback to each target, the follow-up ledger of problems, and the filing with the
legal-affairs office that closes the task."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user
from inspections.models.fieldwork import CheckRecordItem, Inspection
from inspections.models.tasks import InspectionTask


class InspectionReport(models.Model):
    """The inspection report (抽查报告) of a task: drafted from the records with what N13 requires,
    edited by the enforcing office, approved by the team leader and then the leader in charge
    (N10(5)). Approved reports are locked."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        TEAM_APPROVED = "team_approved", _("组长已审核")
        APPROVED = "approved", _("分管领导已审批")

    task = models.OneToOneField(
        InspectionTask, verbose_name=_("检查任务"), on_delete=models.PROTECT, related_name="report"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # N13: time, content, number of targets, findings, evaluation of each target (TargetResult),
    # handling opinions.
    inspected_from = models.DateField(_("检查开始日期"))
    inspected_to = models.DateField(_("检查结束日期"))
    content = models.TextField(_("检查内容"))
    target_count = models.PositiveIntegerField(_("检查对象数"))
    findings = models.TextField(_("发现的问题"), blank=True)
    evaluation = models.TextField(_("总体评价"), blank=True)
    handling = models.TextField(_("处理意见"), blank=True)

    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drafted_at = models.DateTimeField(_("起草时间"))
    team_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查组组长"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team_approved_at = models.DateTimeField(_("组长审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分管领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    pdf = models.FileField(_("抽查报告 PDF"), upload_to="reports/%Y/", blank=True)
    pdf_sha256 = models.CharField(_("PDF 的 SHA-256"), max_length=64, blank=True)
    # What the PDF shows, frozen when the leader in charge approves (snapshots.py).
    snapshot = models.JSONField(_("文书快照"), null=True, blank=True, editable=False)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["snapshot"])

    class Meta:
        verbose_name = _("抽查报告")
        verbose_name_plural = _("抽查报告")
        ordering = ["-drafted_at"]
        permissions = [("approve_inspectionreport", _("审批抽查报告（分管领导）"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(team_approved_at__isnull=False),
                name="report_team_approved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
                name="report_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return _("%(task)s 抽查报告") % {"task": self.task}

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


class TargetResult(models.Model):
    """Each target's result, one of the three categories of Y3.6, with its evaluation (N13)."""

    class Category(models.TextChoices):
        NO_VIOLATION = "no_violation", _("未发现违法行为")
        CASE_FILED = "case_filed", _("发现违法行为已由检查机关立案")
        TRANSFERRED = "transferred", _("发现违法行为已经移送有管辖权的行政执法主体")

    report = models.ForeignKey(
        InspectionReport,
        verbose_name=_("抽查报告"),
        on_delete=models.CASCADE,
        related_name="results",
    )
    inspection = models.OneToOneField(
        Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="result"
    )
    category = models.CharField(_("检查结果"), max_length=16, choices=Category.choices, blank=True)
    case_number = models.CharField(_("立案号"), max_length=100, blank=True)
    receiving_authority = models.CharField(_("移送机关"), max_length=200, blank=True)
    evaluation = models.TextField(_("评价"), blank=True)
    handling = models.TextField(_("处理意见"), blank=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("检查对象结果")
        verbose_name_plural = _("检查对象结果")
        ordering = ["report", "inspection"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category="case_filed") | ~Q(case_number=""),
                name="result_case_number",
                violation_error_message=_("已立案的须填写立案号。"),
            ),
            models.CheckConstraint(
                condition=~Q(category="transferred") | ~Q(receiving_authority=""),
                name="result_receiving_authority",
                violation_error_message=_("已移送的须填写接收移送的机关。"),
            ),
        ]

    def __str__(self) -> str:
        return str(self.inspection.institution)


class Feedback(models.Model):
    """The result fed back to a target (N14): how, when, and the proof."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("当面送达")
        POST = "post", _("邮寄送达")
        PUBLICATION = "publication", _("公告送达")

    inspection = models.OneToOneField(
        Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="feedback"
    )
    method = models.CharField(_("反馈方式"), max_length=12, choices=Method.choices)
    delivered_on = models.DateField(_("送达日期"))
    proof = models.FileField(_("送达凭证"), upload_to="feedback/%Y/", blank=True)
    note = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    letter = models.FileField(_("反馈函 PDF"), upload_to="feedback/%Y/", blank=True)
    letter_sha256 = models.CharField(_("反馈函的 SHA-256"), max_length=64, blank=True)
    # What the letter shows, frozen when the feedback is recorded as sent (snapshots.py).
    snapshot = models.JSONField(_("文书快照"), null=True, blank=True, editable=False)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["snapshot"])

    class Meta:
        verbose_name = _("结果反馈")
        verbose_name_plural = _("结果反馈")
        ordering = ["-delivered_on"]

    def __str__(self) -> str:
        return str(self.inspection)


class LedgerEntry(models.Model):
    """The follow-up ledger (台账, Y3.6, N16): each problem found opens an entry — a case filed, a
    transfer (to whom; suspected crimes to the judicial organs), or rectification ordered — with
    a due date, the rectification evidence and its closure."""

    class Kind(models.TextChoices):
        CASE_FILED = "case_filed", _("立案查处")
        TRANSFERRED = "transferred", _("移送处理")
        RECTIFICATION = "rectification", _("责令整改")

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    item = models.ForeignKey(
        CheckRecordItem,
        verbose_name=_("发现的问题"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    kind = models.CharField(_("处理方式"), max_length=16, choices=Kind.choices)
    case_number = models.CharField(_("立案号"), max_length=100, blank=True)
    transferred_to = models.CharField(_("移送机关"), max_length=200, blank=True)
    suspected_crime = models.BooleanField(
        _("涉嫌犯罪"), default=False, help_text=_("N16：涉嫌犯罪的，移送司法机关。")
    )
    due_on = models.DateField(_("整改/办结期限"), null=True, blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    evidence = models.FileField(_("整改材料"), upload_to="ledger/%Y/", blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    closing_note = models.TextField(_("销号说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("问题台账")
        verbose_name_plural = _("问题台账")
        ordering = ["closed_on", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item"], name="ledger_once_per_problem"),
            models.CheckConstraint(
                condition=~Q(kind="transferred") | ~Q(transferred_to=""),
                name="ledger_transfer_names_the_authority",
                violation_error_message=_("移送处理须写明接收机关。"),
            ),
            models.CheckConstraint(
                condition=~Q(suspected_crime=True) | Q(kind="transferred"),
                name="ledger_crime_is_transferred",
                violation_error_message=_("涉嫌犯罪的，须移送司法机关（N16）。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspection.institution} · {self.item.check_item}"

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


class Filing(models.Model):
    """The filing of the task with the legal-affairs office (法制机构备案, N10(6)); closes the
    task. The archive's manifest hash is kept with it."""

    task = models.OneToOneField(
        InspectionTask, verbose_name=_("检查任务"), on_delete=models.PROTECT, related_name="filing"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("报送时间"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("法制机构接收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("接收时间"), null=True, blank=True)
    manifest_sha256 = models.CharField(_("归档清单的 SHA-256"), max_length=64, blank=True)
    # The manifest as filed, byte for byte (text, not JSON: PostgreSQL's jsonb would reorder
    # its keys): a later export writes it again and checks every file against it.
    manifest_json = models.TextField(_("归档清单"), blank=True, editable=False)
    note = models.TextField(_("备注"), blank=True)

    history = HistoricalRecords(get_user=history_user, excluded_fields=["manifest_json"])

    class Meta:
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        ordering = ["-filed_at"]

    def __str__(self) -> str:
        return _("%(task)s 备案") % {"task": self.task}
