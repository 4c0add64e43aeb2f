"""三员分立 (issue 14 §2) in the data: triggers that refuse an account holding two of the system,
security and audit administrators' roles, one of them together with a business role, a superuser
flag or permissions of its own, and a group granting permissions outside its screens.

The lists below are core.roles' (ADMIN_ROLES, ADMIN_SCREENS, ADMIN_ONLY_SCREENS) as of this
migration; tests/core/test_separation_of_duties.py checks that the two agree. A change of those
lists needs a new migration that replaces the functions.
"""

from django.db import migrations, models

ADMIN_ROLES = ["系统管理员", "安全管理员", "审计管理员"]
ADMIN_SCREENS = {
    "系统管理员": ["auth.user", "auth.group", "django_celery_beat.*"],
    "安全管理员": [
        "auth.user",
        "auth.group",
        "core.loginlockout",
        "core.accountsecurity",
        "otp_totp.totpdevice",
        "otp_static.staticdevice",
    ],
    "审计管理员": ["core.auditevent"],
}
ADMIN_ONLY_SCREENS = [
    "auth.user",
    "auth.group",
    "django_celery_beat.*",
    "core.auditevent",
    "core.loginlockout",
    "core.accountsecurity",
    "otp_totp.*",
    "otp_static.*",
    "axes.*",
]


def _array(items) -> str:
    return "ARRAY[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]::text[]"


def _screens_case() -> str:
    whens = "\n".join(
        f"    WHEN '{role}' THEN {_array(screens)}" for role, screens in ADMIN_SCREENS.items()
    )
    return f"CASE role\n{whens}\n  END"


GUARD = f"""
CREATE OR REPLACE FUNCTION core_duties_admin_roles() RETURNS text[] AS $$
  SELECT {_array(ADMIN_ROLES)}
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION core_duties_screens(role text) RETURNS text[] AS $$
  SELECT {_screens_case()}
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION core_duties_in(app text, model text, screens text[]) RETURNS boolean AS $$
  SELECT (app || '.' || model) = ANY(screens) OR (app || '.*') = ANY(screens)
$$ LANGUAGE sql IMMUTABLE;

-- One account: at most one administrator role, and then nothing else.
CREATE OR REPLACE FUNCTION core_duties_account(uid bigint) RETURNS void AS $$
DECLARE
  held_admin text[];
  held_business text[];
BEGIN
  SELECT array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name = ANY(core_duties_admin_roles())),
         array_agg(g.name ORDER BY g.name)
           FILTER (WHERE NOT g.name = ANY(core_duties_admin_roles()))
    INTO held_admin, held_business
    FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
   WHERE ug.user_id = uid;
  IF held_admin IS NULL THEN
    RETURN;
  END IF;
  IF cardinality(held_admin) > 1 THEN
    RAISE EXCEPTION 'separation of duties: account % cannot hold both %', uid,
      array_to_string(held_admin, ' and ') USING ERRCODE = 'check_violation';
  END IF;
  IF held_business IS NOT NULL THEN
    RAISE EXCEPTION 'separation of duties: account % holds % and business roles (%)', uid,
      held_admin[1], array_to_string(held_business, ', ') USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM auth_user WHERE id = uid AND is_superuser) THEN
    RAISE EXCEPTION 'separation of duties: account % holds % and is a superuser', uid,
      held_admin[1] USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM auth_user_user_permissions WHERE user_id = uid) THEN
    RAISE EXCEPTION 'separation of duties: account % holds % and permissions of its own', uid,
      held_admin[1] USING ERRCODE = 'check_violation';
  END IF;
END $$ LANGUAGE plpgsql;

-- One group's permission: an administrator's only of its screens, a business role's never of
-- the administrators' screens.
CREATE OR REPLACE FUNCTION core_duties_group_permission(gid bigint, pid bigint) RETURNS void AS $$
DECLARE
  role text;
  app text;
  model_name text;
BEGIN
  SELECT name INTO role FROM auth_group WHERE id = gid;
  SELECT ct.app_label, ct.model INTO app, model_name
    FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
   WHERE p.id = pid;
  IF role = ANY(core_duties_admin_roles()) THEN
    IF NOT core_duties_in(app, model_name, core_duties_screens(role)) THEN
      RAISE EXCEPTION 'separation of duties: role % cannot be granted a permission of %.%',
        role, app, model_name USING ERRCODE = 'check_violation';
    END IF;
  ELSIF core_duties_in(app, model_name, {_array(ADMIN_ONLY_SCREENS)}) THEN
    RAISE EXCEPTION 'separation of duties: role % cannot be granted a permission of %.% (administrators only)',
      role, app, model_name USING ERRCODE = 'check_violation';
  END IF;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION core_duties_on_user_group() RETURNS trigger AS $$
BEGIN
  PERFORM core_duties_account(NEW.user_id);
  RETURN NULL;
END $$ LANGUAGE plpgsql;

-- A permission of one's own: never of the administrators' screens (those come with the role).
CREATE OR REPLACE FUNCTION core_duties_on_user_permission() RETURNS trigger AS $$
DECLARE
  app text;
  model_name text;
BEGIN
  SELECT ct.app_label, ct.model INTO app, model_name
    FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
   WHERE p.id = NEW.permission_id;
  IF core_duties_in(app, model_name, {_array(ADMIN_ONLY_SCREENS)}) THEN
    RAISE EXCEPTION 'separation of duties: account % cannot be granted a permission of %.% of its own (administrators only, by their role)',
      NEW.user_id, app, model_name USING ERRCODE = 'check_violation';
  END IF;
  PERFORM core_duties_account(NEW.user_id);
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION core_duties_on_user() RETURNS trigger AS $$
BEGIN
  PERFORM core_duties_account(NEW.id);
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION core_duties_on_group_permission() RETURNS trigger AS $$
BEGIN
  PERFORM core_duties_group_permission(NEW.group_id, NEW.permission_id);
  RETURN NULL;
END $$ LANGUAGE plpgsql;

-- A renamed group: its members and its permissions again, under the new name.
CREATE OR REPLACE FUNCTION core_duties_on_group() RETURNS trigger AS $$
DECLARE
  member bigint;
  perm bigint;
BEGIN
  FOR member IN SELECT user_id FROM auth_user_groups WHERE group_id = NEW.id LOOP
    PERFORM core_duties_account(member);
  END LOOP;
  FOR perm IN SELECT permission_id FROM auth_group_permissions WHERE group_id = NEW.id LOOP
    PERFORM core_duties_group_permission(NEW.id, perm);
  END LOOP;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

-- A permission moved to another content type: every group holding it again.
CREATE OR REPLACE FUNCTION core_duties_on_permission() RETURNS trigger AS $$
DECLARE
  holder bigint;
BEGIN
  FOR holder IN SELECT group_id FROM auth_group_permissions WHERE permission_id = NEW.id LOOP
    PERFORM core_duties_group_permission(holder, NEW.id);
  END LOOP;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER core_duties_user_groups AFTER INSERT OR UPDATE ON auth_user_groups
  FOR EACH ROW EXECUTE FUNCTION core_duties_on_user_group();
CREATE TRIGGER core_duties_user_permissions AFTER INSERT OR UPDATE ON auth_user_user_permissions
  FOR EACH ROW EXECUTE FUNCTION core_duties_on_user_permission();
CREATE TRIGGER core_duties_user AFTER INSERT OR UPDATE OF is_superuser ON auth_user
  FOR EACH ROW EXECUTE FUNCTION core_duties_on_user();
CREATE TRIGGER core_duties_group_permissions AFTER INSERT OR UPDATE ON auth_group_permissions
  FOR EACH ROW EXECUTE FUNCTION core_duties_on_group_permission();
CREATE TRIGGER core_duties_group AFTER UPDATE OF name ON auth_group
  FOR EACH ROW EXECUTE FUNCTION core_duties_on_group();
CREATE TRIGGER core_duties_permission AFTER UPDATE OF content_type_id ON auth_permission
  FOR EACH ROW EXECUTE FUNCTION core_duties_on_permission();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS core_duties_permission ON auth_permission;
DROP TRIGGER IF EXISTS core_duties_group ON auth_group;
DROP TRIGGER IF EXISTS core_duties_group_permissions ON auth_group_permissions;
DROP TRIGGER IF EXISTS core_duties_user ON auth_user;
DROP TRIGGER IF EXISTS core_duties_user_permissions ON auth_user_user_permissions;
DROP TRIGGER IF EXISTS core_duties_user_groups ON auth_user_groups;
DROP FUNCTION IF EXISTS core_duties_on_permission();
DROP FUNCTION IF EXISTS core_duties_on_group();
DROP FUNCTION IF EXISTS core_duties_on_group_permission();
DROP FUNCTION IF EXISTS core_duties_on_user();
DROP FUNCTION IF EXISTS core_duties_on_user_permission();
DROP FUNCTION IF EXISTS core_duties_on_user_group();
DROP FUNCTION IF EXISTS core_duties_group_permission(bigint, bigint);
DROP FUNCTION IF EXISTS core_duties_account(bigint);
DROP FUNCTION IF EXISTS core_duties_in(text, text, text[]);
DROP FUNCTION IF EXISTS core_duties_screens(text);
DROP FUNCTION IF EXISTS core_duties_admin_roles();
"""


def _inside(screens, label: str, model: str) -> bool:
    return f"{label}.{model}" in screens or f"{label}.*" in screens


def prepare(apps, schema_editor):
    """Before the guard: in a database of an earlier release the system administrator was a
    superuser who read the business, and the auditor read the accounts. The flag and such grants
    go (the roles are re-synchronised after the migration: core.roles.roles_sync); an account that
    holds the system administrator's role with another stops the migration with its name."""
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    admins = Group.objects.filter(name__in=ADMIN_ROLES)
    User.objects.filter(groups__in=admins).update(is_superuser=False)
    for group in Group.objects.all():
        for permission in group.permissions.select_related("content_type"):
            ct = permission.content_type
            if group.name in ADMIN_ROLES:
                refused = not _inside(ADMIN_SCREENS[group.name], ct.app_label, ct.model)
            else:
                refused = _inside(ADMIN_ONLY_SCREENS, ct.app_label, ct.model)
            if refused:
                group.permissions.remove(permission)
    for user in User.objects.filter(user_permissions__isnull=False).distinct():
        for permission in user.user_permissions.select_related("content_type"):
            ct = permission.content_type
            if _inside(ADMIN_ONLY_SCREENS, ct.app_label, ct.model):
                user.user_permissions.remove(permission)
    for user in User.objects.filter(groups__in=admins).distinct():
        held = sorted(user.groups.values_list("name", flat=True))
        if len(held) > 1 or user.user_permissions.exists():
            raise RuntimeError(
                f"三员分立: account {user.username!r} holds {', '.join(held)} or permissions of "
                "its own; leave it one role before migrating (docs/security.md, 三员分立)"
            )


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_audit_second_factor_events"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(prepare, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
        migrations.AlterModelOptions(
            name="accountsecurity",
            options={
                "permissions": [("review_roles", "复核角色分配、停用账号")],
                "verbose_name": "账号安全状态",
                "verbose_name_plural": "账号安全状态",
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
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
                    ("otp_recovery_used", "使用恢复码"),
                    ("otp_recovery_issued", "生成恢复码"),
                    ("tablet_registered", "登记执法平板"),
                    ("tablet_bound", "绑定执法平板"),
                    ("tablet_revoked", "停用执法平板"),
                    ("role_changed", "角色变更"),
                    ("role_reviewed", "复核角色分配"),
                    ("account_disabled", "停用账号"),
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
    ]
