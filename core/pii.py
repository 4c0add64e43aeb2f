"""Personal information at rest (PIPL 第五十一条; GB/T 22239-2019 8.1.4.8 数据保密性; issue 14 §4).

ID numbers and phones are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256, from `cryptography`)
under the keys in settings.PII_KEYS: the first encrypts, every one decrypts (MultiFernet), so a new
key is put first, `manage.py pii_rotate` re-encrypts every value with it, and then the old one is
dropped (docs/security.md §个人信息保护). The database and its dumps hold tokens only.

An encrypted value cannot be looked up: each token has its own random IV, so the same number never
gives the same token. EncryptedCharField therefore refuses every lookup but `isnull` and `= ""`
(a silent never-matching filter would be worse); nothing in the project looks up or deduplicates
by ID number or phone (practitioners are matched by certificate number), so no blind index is kept.

Also here: the shapes of ID numbers and phones, to mask them in log records and error e-mails.
"""

import functools
import logging
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull
from django.utils.log import AdminEmailHandler

# Every Fernet token starts so (version byte 0x80 and the high bytes of its timestamp, base64).
TOKEN_PREFIX = "gAAAAA"
KEY_HINT = (
    "each key is 32 url-safe base64-encoded bytes; `manage.py pii_rotate --generate-key` prints one"
)


class PIIDecryptError(Exception):
    """A stored value that no key in PII_KEYS opens (a key dropped too early, or tampering)."""


@functools.cache
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.strip().encode()))
        except ValueError:
            raise ImproperlyConfigured(
                f"PII_KEYS: key {position} is not a Fernet key ({KEY_HINT})."
            ) from None
    return MultiFernet(fernets)


def pii_keyring() -> MultiFernet:
    """The keys of settings.PII_KEYS; ImproperlyConfigured when there are none or one is bad."""
    keys = tuple(k for k in settings.PII_KEYS if k.strip())
    if not keys:
        raise ImproperlyConfigured(
            f"PII_KEYS is empty: personal data cannot be stored ({KEY_HINT})."
        )
    return _keyring(keys)


def pii_primary() -> Fernet:
    """The key new values are encrypted with (the first of PII_KEYS)."""
    return pii_keyring()._fernets[0]


def pii_encrypt(value: str) -> str:
    return pii_keyring().encrypt(value.encode()).decode()


def pii_decrypt(token: str) -> str:
    try:
        return pii_keyring().decrypt(token.encode()).decode()
    except InvalidToken:
        raise PIIDecryptError(
            "A stored personal-data value cannot be decrypted with any key in PII_KEYS "
            "(was a key removed before `manage.py pii_rotate` finished?)."
        ) from None


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


class _EmptyOnlyExact(Exact):
    """`field=""` (is it blank?) works; a value would be compared with a random token."""

    def get_prep_lookup(self):
        if self.rhs != "":
            raise FieldError(
                f"{self.lhs.target.name} is encrypted and cannot be filtered by value."
            )
        return self.rhs

    def process_rhs(self, compiler, connection):
        return "%s", [""]


class EncryptedCharField(models.CharField):
    """A CharField (max_length, validators and forms work on the plain text) stored as a Fernet
    token in a text column; "" stays "" so that a blank value needs no key."""

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection):
        return connection.data_types["TextField"]

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return pii_decrypt(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        # Here rather than in get_db_prep_save: bulk_update() sends values through Case/When,
        # which call get_db_prep_value.
        if not prepared:
            value = self.get_prep_value(value)
        if not value:
            return value
        return pii_encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return IsNull
        if lookup_name == "exact":
            return _EmptyOnlyExact
        return None  # Django then raises FieldError("Unsupported lookup …")


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and the column names of those fields."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        columns = [
            f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)
        ]
        if columns:
            found.append((model, columns))
    return found


# -- masking (logs, error e-mails) -------------------------------------------------------------
# An 18-character resident identity number (GB 11643: 17 digits and a digit or X) and a mainland
# mobile number (11 digits from 13–19), each not inside a longer run of digits; a fixed-line number
# written with its area code and hyphen (023-63801234; without the hyphen it looks like any number).
# Letters may touch them: a hex digest or a token that happens to hold such a run is masked too,
# which costs a log line's hash and never lets a number through.
ID_SHAPE = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")
PHONE_SHAPE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
LANDLINE_SHAPE = re.compile(r"(?<![0-9])(0[0-9]{2,3})-[0-9]{7,8}(?![0-9])")


def pii_mask_text(text: str) -> str:
    """`text` with every ID-number and phone shape masked (first 6 + last 4, 3 + 4 as the admin
    shows them; a landline keeps its area code)."""
    text = ID_SHAPE.sub(r"\1********\2", text)
    text = PHONE_SHAPE.sub(r"\1****\2", text)
    return LANDLINE_SHAPE.sub(r"\1-********", text)


class PersonalDataFilter(logging.Filter):
    """Masks ID numbers and phones in every record a handler emits: the message, its arguments
    and the traceback text (formatted here, masked, and kept where Formatter looks for it).
    On the handlers, not the loggers: a logger's filter does not see records from its children."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = pii_mask_text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = pii_mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = pii_mask_text(record.stack_info)
        return True


class PersonalDataAdminEmailHandler(AdminEmailHandler):
    """Django's 500 e-mail to ADMINS, masked: its body is rebuilt from the exception (frames, local
    variables, the request), past any filter, so the finished subject and text are masked here."""

    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = pii_mask_text(kwargs["html_message"])
        super().send_mail(pii_mask_text(subject), pii_mask_text(message), *args, **kwargs)
