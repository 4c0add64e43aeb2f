"""The working-day calendar (SPEC §6): holidays and adjusted working days under the State Council's
schedule, and which years are known. Deadlines are computed from it (core.services)."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.history import history_user


class CalendarDay(models.Model):
    """A day that differs from the plain Monday–Friday week: a public holiday (also on a weekday), or
    a weekend day that is a working day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("休息日（法定节假日/调休休息）")
        WORKDAY = "workday", _("调休上班日")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True)
    history = HistoricalRecords(get_user=history_user)

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
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("日历年份")
        verbose_name_plural = _("日历年份")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class Deadline(models.Model):
    """An obligation with a due date in working days (SPEC §2, §5): opened by the event that
    starts it, met by the event that fulfils it. Reminders go out before and on the due day, and
    an escalation to the leader in charge when it is overdue; met and missed keep their times."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("公布年度抽查计划（Y3.4）")
        PLAN_REVISION = "plan_revision", _("公布计划修订（Y3.4）")
        REPORT = "report", _("完成抽查报告（N13）")
        FEEDBACK = "feedback", _("向检查对象反馈结果（N14）")
        PUBLICATION = "publication", _("公开抽查结果（Y3.6、N15）")

    kind = models.CharField(_("事项"), max_length=16, choices=Kind.choices)
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField(_("名称"), max_length=300)
    rule = models.CharField(_("依据"), max_length=200)
    starts_on = models.DateField(_("起算日期"))
    workdays = models.PositiveSmallIntegerField(_("工作日数"), null=True, blank=True)
    # Empty while the working-day calendar of the year it falls in is missing (SPEC §6: say so,
    # do not guess); the sweep computes it once the calendar is there.
    due_on = models.DateField(_("截止日期"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    url = models.CharField(_("办理地址"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    missed_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办理期限")
        verbose_name_plural = _("办理期限")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["met_at", "due_on"], name="deadline_open_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"], name="deadline_once_per_subject"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_met(self) -> bool:
        return self.met_at is not None

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.missed_at is not None


class Reminder(models.Model):
    """One reminder of a deadline; the unique constraint makes each kind go out at most once,
    however often the sweep runs."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("到期前 2 个工作日提醒")
        DUE = "due", _("到期当日提醒")
        OVERDUE = "overdue", _("逾期报告分管领导")

    deadline = models.ForeignKey(
        Deadline, verbose_name=_("办理期限"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    recipients = models.JSONField(_("收件人"), default=list, blank=True)

    class Meta:
        verbose_name = _("期限提醒")
        verbose_name_plural = _("期限提醒")
        ordering = ["deadline", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "kind"], name="reminder_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.deadline} · {self.get_kind_display()}"


class Notification(models.Model):
    """An in-app notification (the bell in the staff pages); e-mail carries the same text."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    reminder = models.ForeignKey(
        Reminder,
        verbose_name=_("期限提醒"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "reminder"],
                condition=models.Q(reminder__isnull=False),
                name="notification_once_per_reminder",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OutboxEmail(models.Model):
    """An e-mail the platform sends, recorded before the SMTP conversation begins (issue 12 §8), so
    that a retry after a crash can tell what happened. core.mail moves it along:

    pending → sending (committed just before MAIL FROM) → sent | failed | unknown

    *unknown* (待核实) means the attempt was interrupted after the message was handed to the mail
    server and before its answer was recorded: the server may have accepted it. It is never sent
    again on its own; staff look the Message-ID up in the relay's log, then confirm or resend."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        UNKNOWN = "unknown", _("待核实（发送中断）")
        CANCELLED = "cancelled", _("已取消")

    reminder = models.OneToOneField(
        Reminder,
        verbose_name=_("期限提醒"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="email",
    )
    # Derived from what the e-mail is for (reminder-42-due.…@domain): a resend carries the same
    # one, so a copy is recognisable, and the relay's log can be searched for it.
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    from_email = models.CharField(_("发件人"), max_length=250)
    to = models.JSONField(_("收件人"), default=list)
    subject = models.CharField(_("主题"), max_length=300)
    body = models.TextField(_("正文"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近一次错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    attempted_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("核实时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("外发邮件")
        verbose_name_plural = _("外发邮件")
        ordering = ["-created_at", "-pk"]
        permissions = [("review_outboxemail", _("核实中断的邮件：确认已送达或重新发送"))]
        indexes = [models.Index(fields=["status", "created_at"], name="outboxemail_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["pending", "sending", "sent", "failed", "unknown", "cancelled"]
                ),
                name="outboxemail_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outboxemail_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class Publication(models.Model):
    """The log of what was published, where, when and by whom (Y3.6, N6, Y4(2)): plans, revisions,
    the check-item list, the registries, draws and results, on this site (the bureau's
    information-disclosure column) or the credit-information sharing platform.

    A ledger every floor writes (the registry's imports, the plans and draws, the results), so it
    lives on the ground floor; its tables keep the names they were born with in `publication`
    (migration core 0006 moved the model without touching the rows or their guard)."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("年度抽查计划")
        PLAN_REVISION = "plan_revision", _("计划修订")
        CHECKITEM_LIST = "checkitem_list", _("抽查事项清单")
        REGISTRY = "registry", _("名录库")
        DRAW = "draw", _("随机抽取")
        RESULT = "result", _("抽查结果")

    class Channel(models.TextChoices):
        SITE = "site", _("本平台公开栏目（政府信息公开）")
        CREDIT = "credit", _("信用信息共享平台")

    kind = models.CharField(_("内容"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    # What was published, when it is one object (a registry update has none).
    subject_type = models.ForeignKey(
        "contenttypes.ContentType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField(_("标题"), max_length=300)
    action = models.CharField(
        _("操作"),
        max_length=10,
        choices=[("publish", _("公开")), ("correct", _("更正")), ("withdraw", _("撤回"))],
        default="publish",
    )
    at = models.DateTimeField(_("时间"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    history = HistoricalRecords(
        get_user=history_user, table_name="publication_historicalpublication"
    )

    class Meta:
        db_table = "publication_publication"
        verbose_name = _("公开记录")
        verbose_name_plural = _("公开记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="publication_subject")]

    def __str__(self) -> str:
        return self.title


class AuditEvent(models.Model):
    """One entry of the security audit trail (GB/T 22239-2019 8.1.4.3 安全审计; 网络安全法 第二十一条):
    who, when, from where, what, on what, and the outcome.

    Append-only and self-proving: each entry carries the SHA-256 of the one before it (`prev_hash`)
    and its own (`hash`, over the canonical form in core.audit.canonical); the database refuses
    UPDATE, DELETE and TRUNCATE (migration core 0007), except the pruning of entries older than the
    retention period after they were archived (`manage.py audit_archive`). Written only through
    core.audit.audit_record; `manage.py audit_verify` recomputes the chain.

    The user and the target are kept as snapshots (id, name, model label, text), not as foreign
    keys: an entry must outlive the account or the row it names, and never block their removal."""

    class Action(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出登录")
        LOCKED_OUT = "locked_out", _("账户锁定")
        UNLOCKED = "unlocked", _("解除锁定")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        OTP_ENROLLED = "otp_enrolled", _("绑定动态口令")
        OTP_FAILED = "otp_failed", _("动态口令错误")
        OTP_RESET = "otp_reset", _("重置动态口令")
        OTP_RECOVERY_USED = "otp_recovery_used", _("使用恢复码")
        OTP_RECOVERY_ISSUED = "otp_recovery_issued", _("生成恢复码")
        TABLET_REGISTERED = "tablet_registered", _("登记执法平板")
        TABLET_BOUND = "tablet_bound", _("绑定执法平板")
        TABLET_REVOKED = "tablet_revoked", _("停用执法平板")
        ROLE_CHANGED = "role_changed", _("角色变更")
        ROLE_REVIEWED = "role_reviewed", _("复核角色分配")
        ACCOUNT_DISABLED = "account_disabled", _("停用账号")
        PERMISSION_CHANGED = "permission_changed", _("权限变更")
        ACCOUNT_CHANGED = "account_changed", _("账户变更")
        PII_REVEALED = "pii_revealed", _("查看完整个人信息")
        EXPORTED = "exported", _("导出数据")
        DOWNLOADED = "downloaded", _("下载文件")
        ARCHIVE_EXPORTED = "archive_exported", _("导出档案")
        DRAW_ANNOUNCED = "draw_announced", _("公告随机抽取")
        DRAW_EXECUTED = "draw_executed", _("执行随机抽取")
        REDRAW = "redraw", _("重新抽取")
        PUBLISHED = "published", _("公开")
        CORRECTED = "corrected", _("更正")
        WITHDRAWN = "withdrawn", _("撤回")
        AUDIT_EXPORTED = "audit_exported", _("导出审计记录")
        AUDIT_ARCHIVED = "audit_archived", _("归档审计记录")
        BACKUP = "backup", _("备份")
        RESTORE = "restore", _("恢复")

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        REFUSED = "refused", _("拒绝")

    at = models.DateTimeField(_("时间"), db_index=True)
    user_id = models.BigIntegerField(_("用户编号"), null=True, blank=True, db_index=True)
    username = models.CharField(_("用户"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    user_agent = models.CharField(_("终端"), max_length=300, blank=True)
    action = models.CharField(_("事件"), max_length=32, choices=Action.choices, db_index=True)
    target_model = models.CharField(_("对象类型"), max_length=100, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_repr = models.CharField(_("对象"), max_length=200, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一条的哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("安全审计记录")
        ordering = ["-id"]
        indexes = [models.Index(fields=["target_model", "target_id"], name="audit_target")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["success", "failure", "refused"]),
                name="auditevent_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.get_action_display()}"


class AccountSecurity(models.Model):
    """What identity needs to know of an account beyond Django's User (issue 14 §1): whether its
    password was given by an administrator and must be changed at the next login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="security",
    )
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False)
    password_changed_at = models.DateTimeField(_("本人修改密码时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账号安全状态")
        verbose_name_plural = _("账号安全状态")
        # The security administrator's review of who holds which role (issue 14 §2).
        permissions = [("review_roles", _("复核角色分配、停用账号"))]

    def __str__(self) -> str:
        return str(self.user)


class LoginLockout(AccessAttempt):
    """Failed logins as django-axes counts them (core.identity), for the security administrator:
    read-only, with the permission to lift a lock (`unlock_loginlockout`)."""

    class Meta:
        proxy = True
        verbose_name = _("登录失败与锁定")
        verbose_name_plural = _("登录失败与锁定")
        permissions = [("unlock_loginlockout", _("解除登录锁定"))]
