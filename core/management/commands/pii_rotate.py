"""Re-encrypt every personal-data value with the first key of PII_KEYS (docs/security.md
§个人信息保护): the step between putting a new key first and dropping the old one.

Resumable: a value already under the first key is left alone, so a run that stopped (a crash, a
value no key opens) is simply run again. All or nothing per batch: each batch of rows is locked,
re-encrypted and committed in one transaction; a value that cannot be opened stops the run with its
table and row, that batch unchanged, the batches before it kept."""

from cryptography.fernet import Fernet, InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.pii import encrypted_fields, is_token, pii_keyring, pii_primary


class Command(BaseCommand):
    help = "Re-encrypt ID numbers and phones with the first key of PII_KEYS (key rotation)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
        parser.add_argument(
            "--generate-key", action="store_true", help="print a new key and change nothing"
        )

    def handle(self, *args, batch_size: int, generate_key: bool, **options):
        if generate_key:
            self.stdout.write(Fernet.generate_key().decode())
            return
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        keyring, primary = pii_keyring(), pii_primary()
        for model, columns in encrypted_fields():
            rotated, current = self._rotate_table(model, columns, keyring, primary, batch_size)
            self.stdout.write(
                f"{model._meta.db_table}: {rotated} value(s) re-encrypted with the first key, "
                f"{current} already under it."
            )

    def _rotate_table(self, model, columns, keyring, primary, batch_size) -> tuple[int, int]:
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        names = ", ".join(quote(c) for c in columns)
        select = f"SELECT {pk}, {names} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
        if connection.features.has_select_for_update:
            select += " FOR UPDATE"
        update = f"UPDATE {table} SET {', '.join(f'{quote(c)} = %s' for c in columns)} "
        update += f"WHERE {pk} = %s"
        rotated = current = 0
        last = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(select, [last, batch_size])
                rows = cursor.fetchall()
                if not rows:
                    return rotated, current
                changes = []
                for row_pk, *values in rows:
                    new = [self._rotated(v, keyring, primary, table, row_pk) for v in values]
                    current += sum(1 for v, n in zip(values, new, strict=True) if v and n == v)
                    if new != values:
                        rotated += sum(1 for v, n in zip(values, new, strict=True) if n != v)
                        changes.append((*new, row_pk))
                if changes:
                    cursor.executemany(update, changes)
                last = rows[-1][0]

    @staticmethod
    def _rotated(value, keyring, primary, table, row_pk):
        if not value:
            return value
        if not is_token(value):
            raise CommandError(
                f"{table} row {row_pk} holds a value that is not encrypted: run `manage.py "
                "migrate` first. Nothing of this batch was changed; run again afterwards."
            )
        try:
            primary.decrypt(value.encode())
            return value
        except InvalidToken:
            pass
        try:
            return keyring.rotate(value.encode()).decode()
        except InvalidToken:
            raise CommandError(
                f"{table} row {row_pk}: no key in PII_KEYS opens its value (was its key removed "
                "too early?). Nothing of this batch was changed, the batches before it are kept; "
                "put the old key back at the end of PII_KEYS and run again."
            ) from None
