"""The security audit trail (issue 14 §3): its table, and the guard that keeps it append-only."""

from django.db import migrations, models


# The database refuses to change the trail (issue 14 §3): no UPDATE, no DELETE — except the pruning
# of entries past the retention period (网络安全法 第二十一条: six months) by `audit_archive`, which
# sets shuangsuiji.audit_prune for its own transaction — and no TRUNCATE, unless the connection says
# shuangsuiji.allow_truncate (the test settings do, for the test runner's flush between tests).
GUARD = """
CREATE OR REPLACE FUNCTION core_audit_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('shuangsuiji.audit_prune', true) = 'on'
     AND OLD.at < now() - interval '183 days' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) = to_jsonb(OLD) THEN
    RETURN NEW;  -- an update that changes nothing (the test runner's serialized rollback)
  END IF;
  RAISE EXCEPTION 'audit event % is append-only: % refused', OLD.id, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION core_audit_no_truncate() RETURNS trigger AS $$
BEGIN
  IF current_setting('shuangsuiji.allow_truncate', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'the audit trail cannot be truncated'
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE ON core_auditevent
  FOR EACH ROW EXECUTE FUNCTION core_audit_guard();
CREATE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
  FOR EACH STATEMENT EXECUTE FUNCTION core_audit_no_truncate();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_audit_no_truncate();
DROP FUNCTION IF EXISTS core_audit_guard();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_publication_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True, verbose_name="时间")),
                (
                    "user_id",
                    models.BigIntegerField(
                        blank=True, db_index=True, null=True, verbose_name="用户编号"
                    ),
                ),
                (
                    "username",
                    models.CharField(
                        blank=True, db_index=True, max_length=150, verbose_name="用户"
                    ),
                ),
                (
                    "ip",
                    models.GenericIPAddressField(blank=True, null=True, verbose_name="来源地址"),
                ),
                ("user_agent", models.CharField(blank=True, max_length=300, verbose_name="终端")),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("login", "登录"),
                            ("login_failed", "登录失败"),
                            ("logout", "退出登录"),
                            ("locked_out", "账户锁定"),
                            ("unlocked", "解除锁定"),
                            ("password_changed", "修改密码"),
                            ("otp_enrolled", "绑定动态口令"),
                            ("otp_failed", "动态口令错误"),
                            ("otp_reset", "重置动态口令"),
                            ("role_changed", "角色变更"),
                            ("permission_changed", "权限变更"),
                            ("account_changed", "账户变更"),
                            ("pii_revealed", "查看完整个人信息"),
                            ("exported", "导出数据"),
                            ("downloaded", "下载文件"),
                            ("archive_exported", "导出档案"),
                            ("draw_announced", "公告随机抽取"),
                            ("draw_executed", "执行随机抽取"),
                            ("redraw", "重新抽取"),
                            ("published", "公开"),
                            ("corrected", "更正"),
                            ("withdrawn", "撤回"),
                            ("audit_exported", "导出审计记录"),
                            ("audit_archived", "归档审计记录"),
                            ("backup", "备份"),
                            ("restore", "恢复"),
                        ],
                        db_index=True,
                        max_length=32,
                        verbose_name="事件",
                    ),
                ),
                (
                    "target_model",
                    models.CharField(blank=True, max_length=100, verbose_name="对象类型"),
                ),
                ("target_id", models.CharField(blank=True, max_length=64, verbose_name="对象编号")),
                ("target_repr", models.CharField(blank=True, max_length=200, verbose_name="对象")),
                (
                    "outcome",
                    models.CharField(
                        choices=[("success", "成功"), ("failure", "失败"), ("refused", "拒绝")],
                        max_length=8,
                        verbose_name="结果",
                    ),
                ),
                ("detail", models.JSONField(blank=True, default=dict, verbose_name="详情")),
                ("prev_hash", models.CharField(max_length=64, verbose_name="前一条的哈希")),
                ("hash", models.CharField(max_length=64, unique=True, verbose_name="哈希")),
            ],
            options={
                "verbose_name": "审计记录",
                "verbose_name_plural": "安全审计记录",
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["target_model", "target_id"], name="audit_target")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("outcome__in", ["success", "failure", "refused"])),
                        name="auditevent_outcome_valid",
                    )
                ],
            },
        ),
        migrations.RunPython(guard, unguard),
    ]
