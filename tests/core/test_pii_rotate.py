"""Key rotation of personal data (issue 14 §4; GB/T 22239-2019 8.1.4.8 数据保密性; docs/security.md
§个人信息保护): put a new key first, `manage.py pii_rotate`, then drop the old key — every value
still opens. Resumable; all or nothing per batch."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from core.pii import pii_keyring
from registry.models import Practitioner
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def rotate(*args) -> str:
    out = io.StringIO()
    call_command("pii_rotate", *args, stdout=out)
    return out.getvalue()


def tokens() -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, id_number, phone FROM registry_practitioner ORDER BY id")
        return {pk: (i, p) for pk, i, p in cursor.fetchall()}


def values() -> list[tuple[str, str]]:
    return [(p.id_number, p.phone) for p in Practitioner.objects.order_by("pk")]


@pytest.fixture
def under_old_key(settings):
    settings.PII_KEYS = [OLD]
    people = PractitionerFactory.create_batch(5)
    PractitionerFactory(id_number="", phone="")
    return [(p.id_number, p.phone) for p in people] + [("", "")]


def test_rotation_then_dropping_the_old_key_keeps_every_value(settings, under_old_key):
    settings.PII_KEYS = [NEW, OLD]
    out = rotate("--batch-size", "2")
    assert "10 value(s) re-encrypted" in out and "0 already" in out
    settings.PII_KEYS = [NEW]
    assert values() == under_old_key


def test_a_second_run_changes_nothing(settings, under_old_key):
    settings.PII_KEYS = [NEW, OLD]
    rotate()
    before = tokens()
    assert "0 value(s) re-encrypted with the first key, 10 already under it" in rotate()
    assert tokens() == before


def test_a_value_no_key_opens_stops_the_run_its_batch_unchanged_and_it_resumes(
    settings, under_old_key
):
    ids = sorted(tokens())
    foreign = Fernet(LOST).encrypt(b"13900000000").decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_practitioner SET phone = %s WHERE id = %s", [foreign, ids[3]]
        )
    settings.PII_KEYS = [NEW, OLD]
    before = tokens()
    with pytest.raises(CommandError, match=f"row {ids[3]}: no key in PII_KEYS opens"):
        rotate("--batch-size", "2")
    after = tokens()
    assert all(after[pk] != before[pk] for pk in ids[:2])  # the first batch is kept
    assert all(after[pk] == before[pk] for pk in ids[2:])  # the failing batch and the rest: not

    settings.PII_KEYS = [NEW, OLD, LOST]  # the missing key put back
    out = rotate("--batch-size", "2")
    assert "6 value(s) re-encrypted" in out and "4 already under it" in out
    settings.PII_KEYS = [NEW]
    assert values()[3][1] == "13900000000"


def test_a_value_left_in_plain_text_is_named(settings, under_old_key):
    pk = min(tokens())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_practitioner SET phone = '13900000000' WHERE id = %s", [pk])
    with pytest.raises(CommandError, match=f"row {pk} holds a value that is not encrypted"):
        rotate()


def test_a_bad_batch_size_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        rotate("--batch-size", "0")


def test_generate_key_prints_a_usable_key_and_changes_nothing(settings, under_old_key):
    before = tokens()
    key = rotate("--generate-key").strip()
    Fernet(key.encode())
    assert tokens() == before


@pytest.mark.parametrize("keys", [[], ["not-a-key"], [OLD, "short"]])
def test_missing_or_malformed_keys_are_named(settings, keys):
    settings.PII_KEYS = keys
    with pytest.raises(ImproperlyConfigured, match="PII_KEYS"):
        pii_keyring()
