"""Settings of the Celery workers tests/core/test_deadline_celery.py starts: the test settings, with
e-mail written to files the test reads (WORKER_MAIL_DIR) or sent to an SMTP port the test holds
(WORKER_SMTP_PORT), and a visibility timeout of seconds instead of 15 minutes, so that a message
whose worker was killed is delivered again while the test waits."""

import os

from config.settings.test import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 5,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

if os.environ.get("WORKER_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["WORKER_SMTP_PORT"])
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ.get("WORKER_MAIL_DIR", "var/test-mail")
