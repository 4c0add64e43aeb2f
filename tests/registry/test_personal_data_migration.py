"""The ID numbers and phones a database of the previous release holds in plain text are encrypted by
the upgrade, without loss (issue 14 §4; GB/T 22239-2019 8.1.4.8 数据保密性): migration registry
0007, run by the migration executor on rows made at the previous migration state."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from registry.models import Practitioner
from tests.factories import InstitutionFactory, make_id_number

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BEFORE = [("registry", "0006_schedule_import_uploads_sweep")]
AFTER = [("registry", "0007_practitioner_encrypt_personal_data")]
HELD = [
    ("15001200000000001", make_id_number(1, birth="19750505"), "13812345678"),
    ("15001200000000002", make_id_number(2, birth="19881212"), "023-63801234"),
    ("15001200000000003", "", ""),
]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def raw_rows() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT certificate_number, id_number, phone FROM registry_practitioner "
            "ORDER BY certificate_number"
        )
        return cursor.fetchall()


@pytest.fixture
def previous_release():
    """A database at the previous migration, holding practitioners as that release wrote them;
    brought back to the latest state afterwards, whatever the test did."""
    migrate(BEFORE)
    try:
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        OldPractitioner = old.get_model("registry", "Practitioner")
        firm = InstitutionFactory()  # the institutions' table is the same in both states
        for certificate, id_number, phone in HELD:
            OldPractitioner.objects.create(
                institution_id=firm.pk,
                name="律师",
                certificate_number=certificate,
                id_number=id_number,
                phone=phone,
            )
        assert raw_rows() == HELD  # plain text, as the previous release stored it
        yield
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_upgrade_encrypts_every_held_value_and_loses_none(previous_release):
    migrate(AFTER)
    rows = raw_rows()
    for (certificate, id_number, phone), (_c, stored_id, stored_phone) in zip(
        HELD, rows, strict=True
    ):
        if id_number:
            assert stored_id.startswith("gAAAAA") and id_number not in stored_id, certificate
            assert stored_phone.startswith("gAAAAA") and phone not in stored_phone, certificate
        else:
            assert (stored_id, stored_phone) == ("", ""), certificate
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_practitioner")
        dump = repr(cursor.fetchall())
    for _c, id_number, phone in HELD[:2]:
        assert id_number not in dump and phone not in dump
    after = [(p.certificate_number, p.id_number, p.phone) for p in Practitioner.objects.all()]
    assert sorted(after) == HELD


def test_the_upgrade_reverses_to_the_plain_text(previous_release):
    migrate(AFTER)
    migrate(BEFORE)
    assert raw_rows() == HELD


def test_without_a_key_the_upgrade_stops_and_changes_nothing(previous_release, settings):
    settings.PII_KEYS = []
    with pytest.raises(ImproperlyConfigured, match="PII_KEYS is empty"):
        migrate(AFTER)
    assert raw_rows() == HELD
    applied = MigrationExecutor(connection).loader.applied_migrations
    assert AFTER[0] not in applied
