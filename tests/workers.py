"""A real Celery worker in a subprocess for the tests that go through the broker (Redis in CI):
the solo pool, quiet (no heartbeat, gossip or mingle), on this test run's database. The `worker`
fixture of tests/conftest.py starts one; tests/core/test_deadline_celery.py starts several."""

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def worker_start(
    *, settings: str = "config.settings.test", env: dict[str, str] | None = None, output=None
) -> subprocess.Popen:
    """A worker with DJANGO_SETTINGS_MODULE `settings` and `env` added to the environment; its
    output (stdout and stderr) goes to `output`, a pipe unless given."""
    db = connection.settings_dict
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE if output is None else output,
        stderr=subprocess.STDOUT,
    )
