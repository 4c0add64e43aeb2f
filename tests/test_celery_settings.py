"""The broker's visibility timeout and the task time limits (issue 12 §8), as docs/deployment.md
§13.1 states them: a task killed with its worker comes back after the visibility timeout; every
task ends (or is stopped by the hard time limit) well within it; no task waits for a retry longer
than it, or Redis would hand the waiting task out a second time."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENT = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 50,
    "DATABASE_URL": "postgres://u:p@db:5432/x",
    "ALLOWED_HOSTS": "example.gov.cn",
    "PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=",
    "REDIS_URL": "redis://redis:6379/0",
}
PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.CELERY_BROKER_TRANSPORT_OPTIONS.get('visibility_timeout'), "
    "s.CELERY_TASK_TIME_LIMIT, s.CELERY_TASK_SOFT_TIME_LIMIT]))"
)


def documented_default(variable: str) -> int:
    """The default the variables table of docs/deployment.md gives for `variable`."""
    row = next(line for line in DEPLOYMENT.splitlines() if line.startswith(f"| `{variable}`"))
    return int(re.search(r"default (\d[\d,]*) s", row).group(1).replace(",", ""))


def production(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            **PRODUCTION_ENV,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_uses_the_documented_values():
    result = production({})
    assert result.returncode == 0, result.stderr
    visibility, hard, soft = json.loads(result.stdout)
    assert visibility == documented_default("CELERY_VISIBILITY_TIMEOUT") == 900
    assert hard == documented_default("CELERY_TASK_TIME_LIMIT") == 300
    assert soft == hard - 30


def test_the_values_can_be_overridden_from_the_environment():
    result = production({"CELERY_VISIBILITY_TIMEOUT": "1800", "CELERY_TASK_TIME_LIMIT": "600"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [1800, 600, 570]


def test_a_visibility_timeout_within_the_time_limit_refuses_to_start():
    # A task running longer than the visibility timeout would be delivered twice.
    result = production({"CELERY_VISIBILITY_TIMEOUT": "300", "CELERY_TASK_TIME_LIMIT": "300"})
    assert result.returncode != 0
    assert (
        "CELERY_VISIBILITY_TIMEOUT" in result.stderr and "CELERY_TASK_TIME_LIMIT" in result.stderr
    )


def our_tasks():
    app.loader.import_default_modules()
    return sorted(
        (task for name, task in app.tasks.items() if not name.startswith("celery.")),
        key=lambda task: task.name,
    )


def test_every_task_ends_and_retries_within_the_visibility_timeout():
    visibility = settings.BROKER_VISIBILITY_TIMEOUT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < visibility
    tasks = our_tasks()
    assert len(tasks) >= 9  # the apps' tasks were found
    for task in tasks:
        if getattr(task, "autoretry_for", ()):
            # A retry waits unacknowledged in the worker for up to retry_backoff_max seconds.
            assert task.retry_backoff, task.name
            assert task.retry_backoff_max < visibility, task.name
        assert (task.time_limit or settings.CELERY_TASK_TIME_LIMIT) < visibility, task.name


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI does)")
def test_the_worker_gets_the_timeout_from_the_settings():
    # What kombu's Redis transport reads.
    assert app.conf.broker_transport_options["visibility_timeout"] == 900
    assert app.conf.task_time_limit == 300
