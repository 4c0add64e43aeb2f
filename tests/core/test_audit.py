"""The security audit trail (issue 14 §3; GB/T 22239-2019 8.1.4.3 安全审计): who, when, from where,
what and the outcome of every security event; a hash chain `audit_verify` recomputes; a database
that refuses to change it; the audit administrator's read-only, filtered, exported view; and an
archive-then-prune that keeps the chain verifiable (网络安全法 第二十一条: six months)."""

import csv
import datetime as dt
import io
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from core import audit, roles
from core.audit import audit_record
from core.ledgers import publication_log
from core.models import AuditEvent, Publication
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
needs_pg = pytest.mark.skipif("connection.vendor != 'postgresql'")

PASSWORD = "Correct-Horse-42"


@pytest.fixture(autouse=True)
def _since_the_test_began(db, request):
    """The test database's migration left entries of its own (the roles' permissions): each test
    looks at what it recorded."""
    request.node.audit_base = (
        AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    )
    _base[0] = request.node.audit_base


_base = [0]


def events(action=None):
    qs = AuditEvent.objects.filter(id__gt=_base[0]).order_by("id")
    return list(qs.filter(action=action) if action else qs)


def verify(*args) -> str:
    out = io.StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*args)
    return str(caught.value)


@pytest.fixture
def trail(db):
    """Five entries in the chain."""
    user = UserFactory(username="alice")
    return [audit_record(AuditEvent.Action.LOGIN, user=user, detail={"n": n}) for n in range(5)]


def superuser_sql(sql: str, params=None) -> None:
    """What an administrator with SQL below the services can do: switch the guard off first."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")


class TestWhatIsRecorded:
    def test_a_login_with_who_when_where_and_the_terminal(self, client):
        user = UserFactory(username="alice", is_staff=True, password=PASSWORD)
        before = timezone.now()
        client.post(
            reverse("admin:login"),
            {"username": "alice", "password": PASSWORD},
            REMOTE_ADDR="10.1.2.3",
            HTTP_USER_AGENT="Tablet/1.0",
        )
        (event,) = events(AuditEvent.Action.LOGIN)
        assert (event.user_id, event.username, event.ip) == (user.pk, "alice", "10.1.2.3")
        assert event.user_agent == "Tablet/1.0"
        assert event.outcome == AuditEvent.Outcome.SUCCESS
        assert before <= event.at <= timezone.now()
        assert event.detail == {"path": "/admin/login/"}

    def test_a_failed_login_names_an_existing_account_but_never_what_was_typed(self, client):
        UserFactory(username="alice", is_staff=True, password=PASSWORD)
        client.post(reverse("admin:login"), {"username": "alice", "password": "wrong"})
        # A password typed into the username field must not be kept.
        client.post(reverse("admin:login"), {"username": PASSWORD + "x", "password": "a"})
        known, unknown = events(AuditEvent.Action.LOGIN_FAILED)
        assert (known.username, known.outcome) == ("alice", AuditEvent.Outcome.FAILURE)
        assert unknown.username == "" and unknown.detail["unknown_account"] is True
        assert PASSWORD not in json.dumps([e.detail for e in events()]) + unknown.username

    def test_a_logout(self, client):
        user = UserFactory(username="alice", is_staff=True)
        client.force_login(user)
        client.post(reverse("admin:logout"))
        assert [e.username for e in events(AuditEvent.Action.LOGOUT)] == ["alice"]

    def test_role_and_permission_changes_whoever_makes_them(self):
        user = UserFactory(username="bob")
        staff = Group.objects.get(name=roles.STAFF)
        user.groups.add(staff)
        user.groups.remove(staff)
        staff.user_set.add(user)  # from the group's side
        perm = Permission.objects.get(codename="view_institution")
        user.user_permissions.add(perm)
        changes = [
            (e.action, e.target_repr, e.detail)
            for e in events()
            if e.action in (AuditEvent.Action.ROLE_CHANGED, AuditEvent.Action.PERMISSION_CHANGED)
        ]
        assert changes == [
            (AuditEvent.Action.ROLE_CHANGED, "bob", {"added": [roles.STAFF]}),
            (AuditEvent.Action.ROLE_CHANGED, "bob", {"removed": [roles.STAFF]}),
            (AuditEvent.Action.ROLE_CHANGED, "bob", {"added": [roles.STAFF]}),
            (AuditEvent.Action.PERMISSION_CHANGED, "bob", {"added": ["registry.view_institution"]}),
        ]

    def test_publication_correction_and_withdrawal(self):
        user = UserFactory(username="staff")
        for action in ("publish", "correct", "withdraw"):
            publication_log(kind=Publication.Kind.RESULT, title="结果", user=user, action=action)
        assert [e.action for e in events()] == [
            AuditEvent.Action.PUBLISHED,
            AuditEvent.Action.CORRECTED,
            AuditEvent.Action.WITHDRAWN,
        ]
        assert all(e.username == "staff" and e.target_model == "core.publication" for e in events())

    def test_personal_data_never_enters_the_detail(self):
        with pytest.raises(ValueError, match="id_number"):
            audit_record(AuditEvent.Action.EXPORTED, detail={"row": {"id_number": "x"}})
        event = audit_record(
            AuditEvent.Action.EXPORTED,
            detail={"q": "500103198001011234 或 13812345678", "n": [1, "11010119900307663X"]},
        )
        assert event.detail == {
            "q": "500103********1234 或 138****5678",
            "n": [1, "110101********663X"],
        }
        assert audit.audit_verify()[1] is None

    def test_an_unknown_action_is_refused(self):
        with pytest.raises(ValueError, match="unknown audit action"):
            audit_record("made_up")
        assert events() == []


class TestTheChain:
    def test_each_entry_carries_the_hash_of_the_one_before(self, trail):
        assert AuditEvent.objects.order_by("id").first().prev_hash == audit.GENESIS
        for before, after in zip(trail, trail[1:], strict=False):
            assert after.prev_hash == before.hash
        stored = AuditEvent.objects.get(pk=trail[2].pk)  # as read back from the database
        assert audit.entry_hash(stored) == stored.hash
        assert "OK" in verify()

    def test_the_documented_canonical_form(self, trail):
        """docs/audit.md: anyone can recompute an entry's hash from its fields."""
        import hashlib

        event = AuditEvent.objects.get(pk=trail[1].pk)
        body = json.loads(audit.canonical(event))
        assert sorted(body) == [
            "action",
            "at",
            "detail",
            "ip",
            "outcome",
            "prev",
            "target_id",
            "target_model",
            "target_repr",
            "user_agent",
            "user_id",
            "username",
        ]
        assert body["prev"] == trail[0].hash and body["at"].endswith("Z")
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(text.encode()).hexdigest() == event.hash

    @needs_pg
    def test_the_database_refuses_update_delete_and_truncate(self, trail):
        for sql in (
            "UPDATE core_auditevent SET username = 'mallory'",
            f"DELETE FROM core_auditevent WHERE id = {trail[0].pk}",
            "SET LOCAL shuangsuiji.allow_truncate = 'off'; TRUNCATE core_auditevent",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only|cannot be truncated"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=trail[0].pk).update(username="mallory")
        with pytest.raises(DatabaseError), transaction.atomic():
            trail[0].delete()
        assert len(events()) == 5 and "OK" in verify()

    @needs_pg
    def test_pruning_young_entries_is_refused_even_with_the_switch(self, trail):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL shuangsuiji.audit_prune = 'on'")
            cursor.execute("DELETE FROM core_auditevent")
        assert len(events()) == 5

    @needs_pg
    def test_an_entry_changed_below_the_services_is_named(self, trail):
        superuser_sql("UPDATE core_auditevent SET outcome = 'failure' WHERE id = %s", [trail[3].pk])
        message = verify_fails()
        assert f"（编号 {trail[3].pk}" in message and "本条哈希不符" in message

    @needs_pg
    def test_a_removed_entry_breaks_the_link_of_the_next(self, trail):
        superuser_sql("DELETE FROM core_auditevent WHERE id = %s", [trail[1].pk])
        message = verify_fails()
        assert f"编号 {trail[2].pk}" in message and "前一条的哈希不符" in message

    @needs_pg
    def test_a_forged_entry_with_a_rehashed_tail_is_still_caught_at_its_successor(self, trail):
        """An attacker who rewrites one entry and recomputes its hash breaks the next link."""
        forged = AuditEvent.objects.get(pk=trail[2].pk)
        forged.username = "mallory"
        forged.hash = audit.entry_hash(forged)
        superuser_sql(
            "UPDATE core_auditevent SET username = %s, hash = %s WHERE id = %s",
            [forged.username, forged.hash, forged.pk],
        )
        assert f"编号 {trail[3].pk}" in verify_fails()

    @needs_pg
    def test_the_first_entries_removed_break_the_chain_at_its_start(self, trail):
        superuser_sql("DELETE FROM core_auditevent WHERE id <= %s", [trail[1].pk])
        assert f"（编号 {trail[2].pk}" in verify_fails()

    def test_concurrent_writers_keep_one_chain(self, trail, django_db_blocker):
        """Each writer takes the chain's lock: no two entries share a predecessor."""
        prevs = list(AuditEvent.objects.values_list("prev_hash", flat=True))
        assert len(prevs) == len(set(prevs))


# Committed rows for the other connections; serialized_rollback puts back what migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@needs_pg
def test_writers_in_parallel_transactions_stay_chained():
    """Two processes' transactions writing at once (the advisory lock orders them)."""
    import threading

    from django.db import connections

    errors = []
    barrier = threading.Barrier(4)

    def write(n):
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    audit_record(AuditEvent.Action.EXPORTED, detail={"writer": n, "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(events()) == 40
    assert audit.audit_verify()[1] is None


class TestArchiveThenPrune:
    @pytest.fixture
    def old_and_new(self, db):
        if connection.vendor == "postgresql":  # a trail that begins 400 days ago
            superuser_sql("DELETE FROM core_auditevent")
        else:
            AuditEvent.objects.all().delete()
        long_ago = timezone.now() - dt.timedelta(days=400)
        old = [
            audit_record(
                AuditEvent.Action.LOGIN, username="u", at=long_ago + dt.timedelta(minutes=n)
            )
            for n in range(3)
        ]
        new = [audit_record(AuditEvent.Action.LOGOUT, username="u") for _ in range(2)]
        return old, new

    @needs_pg
    def test_archived_entries_leave_a_chain_that_still_verifies(self, old_and_new, tmp_path):
        old, new = old_and_new
        out = io.StringIO()
        cutoff = (timezone.now() - dt.timedelta(days=300)).date().isoformat()
        call_command("audit_archive", "--before", cutoff, "--out", str(tmp_path), stdout=out)
        assert "已归档 3 条记录" in out.getvalue()
        remaining = events()
        assert [e.pk for e in remaining[:2]] == [e.pk for e in new]
        (checkpoint,) = events(AuditEvent.Action.AUDIT_ARCHIVED)
        assert checkpoint.detail["last_hash"] == old[-1].hash
        assert checkpoint.username == "_system"
        (archive,) = tmp_path.iterdir()
        import hashlib

        assert hashlib.sha256(archive.read_bytes()).hexdigest() == checkpoint.detail["sha256"]
        assert len(archive.read_text().splitlines()) == 3
        assert "OK" in verify()
        assert "完好" in verify("--archive", str(archive))

    @needs_pg
    def test_a_tampered_archive_is_named(self, old_and_new, tmp_path):
        cutoff = (timezone.now() - dt.timedelta(days=300)).date().isoformat()
        call_command(
            "audit_archive", "--before", cutoff, "--out", str(tmp_path), stdout=io.StringIO()
        )
        (archive,) = tmp_path.iterdir()
        lines = archive.read_text().splitlines()
        lines[1] = lines[1].replace('"username":"u"', '"username":"v"')
        archive.write_text("\n".join(lines) + "\n")
        assert "第 2 行：本条哈希不符" in verify_fails("--archive", str(archive))

    @needs_pg
    def test_an_archive_that_does_not_join_the_chain_is_refused(self, old_and_new, tmp_path):
        cutoff = (timezone.now() - dt.timedelta(days=300)).date().isoformat()
        call_command(
            "audit_archive", "--before", cutoff, "--out", str(tmp_path), stdout=io.StringIO()
        )
        (archive,) = tmp_path.iterdir()
        lines = archive.read_text().splitlines()
        archive.write_text("\n".join(lines[:-1]) + "\n")  # the last archived entry dropped
        assert "不衔接" in verify_fails("--archive", str(archive))

    def test_entries_within_six_months_are_never_archived(self, old_and_new, tmp_path):
        recent = (timezone.now() - dt.timedelta(days=100)).date().isoformat()
        with pytest.raises(CommandError, match="至少保存 183 天"):
            call_command("audit_archive", "--before", recent, "--out", str(tmp_path))
        assert list(tmp_path.iterdir()) == [] and len(events()) == 5

    @needs_pg
    def test_a_broken_chain_is_not_archived(self, old_and_new, tmp_path):
        old, _new = old_and_new
        superuser_sql("UPDATE core_auditevent SET ip = '1.2.3.4' WHERE id = %s", [old[1].pk])
        cutoff = (timezone.now() - dt.timedelta(days=300)).date().isoformat()
        with pytest.raises(CommandError, match="审计链在第 2 条"):
            call_command("audit_archive", "--before", cutoff, "--out", str(tmp_path))
        assert len(events()) == 5

    def test_nothing_to_archive(self, tmp_path):
        out = io.StringIO()
        call_command("audit_archive", "--out", str(tmp_path), stdout=out)
        assert "没有需要归档的记录" in out.getvalue()


class TestTheAuditAdministratorsView:
    @pytest.fixture
    def reader(self, db):
        """The audit administrator (三员分立: the permission comes only with the role)."""
        user = UserFactory(username="audit-admin", is_staff=True)
        user.groups.add(Group.objects.get(name=roles.AUDITADMIN))
        return user

    def test_read_only_filterable_and_searchable(self, client, reader, trail):
        client.force_login(reader)
        url = reverse("admin:core_auditevent_changelist")
        page = client.get(url, {"action__exact": "login", "q": "alice"})
        assert page.status_code == 200
        assert page.content.decode().count("alice") >= 5
        detail = client.get(reverse("admin:core_auditevent_change", args=[trail[0].pk]))
        assert detail.status_code == 200 and trail[0].hash in detail.content.decode()
        assert b'name="_save"' not in detail.content
        # Nothing to add, change or delete, not even by POST.
        assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
        delete = reverse("admin:core_auditevent_delete", args=[trail[0].pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert AuditEvent.objects.filter(pk=trail[0].pk).exists()

    def test_export_of_the_filtered_list_is_itself_audited(self, client, reader, trail):
        audit_record(AuditEvent.Action.LOGOUT, username="carol", detail={"formula": "=1+1"})
        client.force_login(reader)
        response = client.get(reverse("admin:core_auditevent_export"), {"action__exact": "login"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["ID", "时间", "用户"]
        logins = [row for row in rows[1:] if row[5] == "登录"]
        assert len(rows) - 1 == len(logins) >= 5  # only the filtered entries
        export = events(AuditEvent.Action.AUDIT_EXPORTED)[-1]
        assert export.username == "audit-admin"
        assert export.detail["filters"] == {"action__exact": "login"}
        assert "OK" in verify()

    def test_xlsx_export_neutralises_formulae(self, client, reader):
        audit_record(AuditEvent.Action.LOGOUT, username="=HYPERLINK(1)")
        client.force_login(reader)
        response = client.get(reverse("admin:core_auditevent_export"), {"format": "xlsx"})
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)")
        assert cell.data_type == "s" and cell.quotePrefix

    def test_staff_without_the_permission_see_nothing(self, client, staff_user, trail):
        client.force_login(staff_user)
        assert client.get(reverse("admin:core_auditevent_changelist")).status_code == 403
        assert client.get(reverse("admin:core_auditevent_export")).status_code == 403
        assert not events(AuditEvent.Action.AUDIT_EXPORTED)
