"""The publication log is a ledger of the ground floor (issue 13): the registry's imports, the
plans, the draws and the results write it through `core.ledgers.publication_log`. Moving it from
`publication` to `core` (migration core 0006) must keep a running bureau's log exactly as it was:
the rows, their append-only guard, the permissions granted on it, its admin screen."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from core.ledgers import publication_log
from core.models import Publication
from core.roles import STAFF

pytestmark = pytest.mark.postgres


def migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_a_running_bureaus_log_survives_the_move(admin_client):
    """Back to the release before the move, a log entry and a group holding the log's permission;
    forward again: the same row, the same permission (same content type row, now core's), the
    guard still refusing an edit, and the admin showing it under /admin/core/publication/."""
    migrate(("core", "0005_outbox_email"), ("publication", "0005_change_history"))
    ct = ContentType.objects.get(app_label="publication", model="publication")
    permission = Permission.objects.get(content_type=ct, codename="view_publication")
    group = Group.objects.create(name="旧版本的读者")
    group.permissions.add(permission)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO publication_publication (kind, channel, title, action, at, note)"
            " VALUES ('registry', 'site', '名录库：新增 3 家', 'publish', now(), '') RETURNING id"
        )
        (entry_id,) = cursor.fetchone()

    migrate(("core", "0006_publication_log"), ("publication", "0006_publication_log"))

    entry = Publication.objects.get(pk=entry_id)
    assert entry.title == "名录库：新增 3 家"
    moved = ContentType.objects.get_for_model(Publication)
    assert (moved.pk, moved.app_label) == (ct.pk, "core")
    assert not ContentType.objects.filter(app_label="publication", model="publication").exists()
    assert list(Group.objects.get(pk=group.pk).permissions.all()) == [permission]
    with pytest.raises(DatabaseError), transaction.atomic():
        Publication.objects.filter(pk=entry_id).update(title="改过的")
    page = admin_client.get("/admin/core/publication/")
    assert page.status_code == 200
    assert "名录库：新增 3 家" in page.content.decode()


@pytest.mark.django_db
def test_every_floor_writes_the_one_log(staff_user):
    """The log's writer lives in core; the publication app's old name for it still answers."""
    from publication.models import Publication as OldName
    from publication.services import publication_log as old_writer

    assert OldName is Publication and old_writer is publication_log
    entry = publication_log(kind=Publication.Kind.REGISTRY, title="名录库", user=staff_user)
    assert Publication.objects.get().pk == entry.pk
    assert staff_user.has_perm("core.view_publication")
    assert STAFF in staff_user.groups.values_list("name", flat=True)
