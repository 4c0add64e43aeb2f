"""Tests: PostgreSQL when DATABASE_URL is set (CI), otherwise SQLite with PG-only tests skipped.

Never a deployer's `.env`: its production DATABASE_URL, CREDIT_FEED_URL or BUREAU_NAME would leak
into the run. Set before the base settings read it, and inherited by the processes tests start."""

import os

os.environ["DJANGO_ENV_FILE"] = ""

from .base import *  # noqa: E402, F403 (after the line above, which decides what base reads)
from .base import BASE_DIR, env  # noqa: E402

SECRET_KEY = "test-only-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///:memory:")}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # The test runner empties the tables between transactional tests with TRUNCATE, which the
    # audit trail refuses otherwise (core migration 0007); nothing else in the tests relies on it.
    DATABASES["default"]["OPTIONS"] = {"options": "-c shuangsuiji.allow_truncate=on"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
