"""Production settings refuse to start without their secrets; the quick-start runs without any."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 50,
    "DATABASE_URL": "postgres://u:p@db:5432/x",
    "ALLOWED_HOSTS": "example.gov.cn",
}


def run_check(settings: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "REDIS_URL"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.TIME_ZONE, settings.LANGUAGE_CODE, settings.CELERY_BROKER_URL)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": settings, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without(missing, tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_check("config.settings.production", env)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_starts_with_its_settings():
    result = run_check("config.settings.production", PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["Asia/Shanghai", "zh-hans"]


def test_quick_start_runs_on_embedded_defaults():
    # No DATABASE_URL, no REDIS_URL: SQLite and kombu's filesystem transport, never eager mode.
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL, "
            "getattr(settings, 'CELERY_TASK_ALWAYS_EAGER', False))",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.local"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://localhost/",
        "False",
    ]


def quick_start_env(tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "BROKER_DIR": str(tmp_path / "broker"),
    }


def test_quick_start_broker_connection_logs_no_hostname_warning(tmp_path):
    # kombu logs "No hostname was supplied. Reverting to default 'localhost'" for a bare
    # `filesystem://` each time the worker or beat describes its broker (issue 12 §11).
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from config.celery import app\n"
            "with app.connection_for_write() as conn:\n"
            "    print(conn.as_uri()); conn.info(); conn.default_channel\n",
        ],
        cwd=ROOT,
        env=quick_start_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("filesystem://")
    assert "No hostname was supplied" not in result.stdout + result.stderr
    assert (tmp_path / "broker" / "queue").is_dir()  # the folders are still made


# -- e-mail: one rule (docs/deployment.md §8) --------------------------------------------------
SMTP = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, "
    "s.EMAIL_USE_SSL, s.EMAIL_HOST_USER, s.EMAIL_TIMEOUT]))"
)


def production_email(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and not k.startswith("EMAIL_") and k != "REDIS_URL"
    }
    return subprocess.run(
        [sys.executable, "-c", EMAIL_PRINT],
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


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"EMAIL_URL": "smtp+tls://mailer:s%40cret@mail.example.gov.cn:587"},
            [SMTP, "mail.example.gov.cn", 587, True, False, "mailer", 30],
        ),
        (
            {"EMAIL_URL": "smtp+ssl://mail.example.gov.cn:465", "EMAIL_TIMEOUT": "10"},
            [SMTP, "mail.example.gov.cn", 465, False, True, "", 10],
        ),
        (
            {"EMAIL_URL": "consolemail://"},
            [
                "django.core.mail.backends.console.EmailBackend",
                "localhost",
                25,
                False,
                False,
                "",
                30,
            ],
        ),
        # A backend that is not SMTP (e.g. a vendor's API) is named by EMAIL_BACKEND alone.
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"},
            ["django.core.mail.backends.dummy.EmailBackend", "localhost", 25, False, False, "", 30],
        ),
        # Neither: a relay on the host itself, as documented.
        ({}, [SMTP, "localhost", 25, False, False, "", 30]),
    ],
    ids=["smtp+tls", "smtp+ssl", "console", "backend-only", "neither"],
)
def test_production_email_settings_follow_the_one_rule(env, expected):
    result = production_email(env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_production_refuses_email_url_and_email_backend_together():
    # Before: EMAIL_BACKEND was silently replaced by the backend of EMAIL_URL.
    result = production_email(
        {
            "EMAIL_URL": "smtp://mail.example.gov.cn:25",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }
    )
    assert result.returncode != 0
    assert "EMAIL_URL and EMAIL_BACKEND are both set" in result.stderr


def test_production_refuses_the_smtp_backend_without_email_url():
    # SMTP is configured by EMAIL_URL only; EMAIL_BACKEND=…smtp… alone would go to localhost:25.
    result = production_email({"EMAIL_BACKEND": SMTP})
    assert result.returncode != 0
    assert "configure SMTP with EMAIL_URL" in result.stderr


def test_production_refuses_an_unknown_email_url_scheme():
    result = production_email({"EMAIL_URL": "smpt://mail.example.gov.cn"})
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr and "smpt" in result.stderr
