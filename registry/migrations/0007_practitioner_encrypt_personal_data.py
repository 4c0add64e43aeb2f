"""Practitioners' ID numbers and phones encrypted at rest (issue 14 §4, PIPL; core.pii).

The columns become text (a token is ~120 characters) and every value held in plain text is
encrypted in place with the first key of PII_KEYS, which must therefore be set when this migration
runs (docs/security.md §个人信息保护). Batches by primary key; a value that is already a token
(a migration run again after a failure) is left alone. Reversible: the reverse decrypts.
"""

from django.db import migrations

import core.pii
import registry.validators

BATCH = 2000


def _recode(apps, schema_editor, change):
    Practitioner = apps.get_model("registry", "Practitioner")
    table = schema_editor.connection.ops.quote_name(Practitioner._meta.db_table)
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            # Raw SQL: the model's own field would try to decrypt the plain text.
            cursor.execute(
                f"SELECT id, id_number, phone FROM {table} WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            updates = []
            for pk, id_number, phone in rows:
                new = (change(id_number), change(phone))
                if new != (id_number, phone):
                    updates.append((*new, pk))
            if updates:
                cursor.executemany(
                    f"UPDATE {table} SET id_number = %s, phone = %s WHERE id = %s", updates
                )
            last = rows[-1][0]


def encrypt(apps, schema_editor):
    def change(value):
        if not value or core.pii.is_token(value):
            return value
        return core.pii.pii_encrypt(value)

    _recode(apps, schema_editor, change)


def decrypt(apps, schema_editor):
    def change(value):
        if not value or not core.pii.is_token(value):
            return value
        return core.pii.pii_decrypt(value)

    _recode(apps, schema_editor, change)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_schedule_import_uploads_sweep'),
    ]

    operations = [
        migrations.AlterField(
            model_name='practitioner',
            name='id_number',
            field=core.pii.EncryptedCharField(blank=True, max_length=18, validators=[registry.validators.validate_id_number], verbose_name='身份证号'),
        ),
        migrations.AlterField(
            model_name='practitioner',
            name='phone',
            field=core.pii.EncryptedCharField(blank=True, max_length=20, verbose_name='联系电话'),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
