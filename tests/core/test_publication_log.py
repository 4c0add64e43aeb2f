"""The publication log is a ledger of the ground floor (issue 13): the registry's imports, the
plans, the draws and the results write it through `core.ledgers.publication_log`. Moving it from
`publication` to `core` (migration core 0006) must keep a running bureau's log exactly as it was:
the rows, their append-only guard, the permissions granted on it."""

import psycopg
import pytest

from core.ledgers import publication_log
from core.models import Publication
from tests.core.upgrades import manage


@pytest.mark.slow
@pytest.mark.postgres
def test_a_running_bureaus_log_survives_the_upgrade(scratch_database):
    """A database of the release before the move, with a log entry and a group holding the
    log's permission; `manage.py migrate`: the same row, the same permission (the same content
    type row, now core's), the group still holding it, and the guard still refusing an edit."""
    manage(scratch_database, "migrate", "core", "0005_outbox_email", "-v", "0")
    manage(scratch_database, "migrate", "publication", "0005_change_history", "-v", "0")
    with psycopg.connect(scratch_database, autocommit=True) as db:
        (ct,) = db.execute(
            "SELECT id FROM django_content_type"
            " WHERE app_label = 'publication' AND model = 'publication'"
        ).fetchone()
        (permission,) = db.execute(
            "SELECT id FROM auth_permission WHERE content_type_id = %s"
            " AND codename = 'view_publication'",
            [ct],
        ).fetchone()
        (group,) = db.execute(
            "INSERT INTO auth_group (name) VALUES ('旧版本的读者') RETURNING id"
        ).fetchone()
        db.execute(
            "INSERT INTO auth_group_permissions (group_id, permission_id) VALUES (%s, %s)",
            [group, permission],
        )
        (entry,) = db.execute(
            "INSERT INTO publication_publication (kind, channel, title, action, at, note)"
            " VALUES ('registry', 'site', '名录库：新增 3 家', 'publish', now(), '') RETURNING id"
        ).fetchone()

    manage(scratch_database, "migrate", "-v", "0")

    with psycopg.connect(scratch_database, autocommit=True) as db:
        assert db.execute(
            "SELECT title FROM publication_publication WHERE id = %s", [entry]
        ).fetchone() == ("名录库：新增 3 家",)
        assert db.execute(
            "SELECT app_label, model FROM django_content_type WHERE id = %s", [ct]
        ).fetchone() == ("core", "publication")
        assert db.execute(
            "SELECT count(*) FROM django_content_type"
            " WHERE model = 'publication' AND app_label = 'publication'"
        ).fetchone() == (0,)
        assert db.execute(
            "SELECT permission_id FROM auth_group_permissions WHERE group_id = %s", [group]
        ).fetchall() == [(permission,)]
        with pytest.raises(psycopg.errors.RaiseException):
            db.execute("UPDATE publication_publication SET title = '改过的' WHERE id = %s", [entry])


@pytest.mark.django_db
def test_every_floor_writes_the_one_log(staff_user, client):
    """The log's writer lives in core; the publication app's old names for it still answer; the
    office reads it in the admin, now under core's address."""
    from publication.models import Publication as OldName
    from publication.services import publication_log as old_writer

    assert OldName is Publication and old_writer is publication_log
    entry = publication_log(
        kind=Publication.Kind.REGISTRY, title="名录库：新增 3 家", user=staff_user
    )
    assert Publication.objects.get().pk == entry.pk
    assert staff_user.has_perm("core.view_publication")
    client.force_login(staff_user)
    page = client.get("/admin/core/publication/")
    assert page.status_code == 200
    assert "名录库：新增 3 家" in page.content.decode()
    # Bookmarks of its old address follow it.
    old = client.get("/admin/publication/publication/?kind=registry")
    assert (old.status_code, old["Location"]) == (302, "/admin/core/publication/?kind=registry")
    old = client.get(f"/admin/publication/publication/{entry.pk}/change/")
    assert old["Location"] == f"/admin/core/publication/{entry.pk}/change/"
