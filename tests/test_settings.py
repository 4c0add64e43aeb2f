"""Production settings refuse to start without their secrets; the quick-start runs without any.

None of this depends on a `.env` in the project root, which docs/deployment.md tells deployers to
create: each check runs in the project tree (whatever `.env` it holds) and in a copy of the
settings beside a `.env` full of odd values, and gives the same answer."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 50,
    "DATABASE_URL": "postgres://u:p@db:5432/x",
    "ALLOWED_HOSTS": "example.gov.cn",
    "PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=",
}
# What a deployer's .env may hold, and some that no one should write.
ODD_ENV = "\n".join(
    [
        "# a deployer's file",
        "DJANGO_SETTINGS_MODULE=config.settings.production",
        "SECRET_KEY=from-the-dot-env",
        "DATABASE_URL=postgres://prod:secret@db.invalid:5432/production",
        "ALLOWED_HOSTS=odd.example.gov.cn",
        "REDIS_URL=redis://redis.invalid:6379/0",
        "DJANGO_DEBUG=yes",
        "BUREAU_NAME=某某市司法局（.env）",
        "CREDIT_FEED_URL=https://credit.invalid/feed",
        "IMPORT_MAX_BYTES=1",
        "LOG_LEVEL=NOT-A-LEVEL",
        'EMAIL_URL="smtp://user:p@ss@mail.invalid:25"',
        "export CONN_MAX_AGE=abc",
        "this line is not a setting",
        "=no-name",
        "",
    ]
)
PRINT = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.TIME_ZONE, s.LANGUAGE_CODE, s.CELERY_BROKER_URL, s.DATABASES['default']['ENGINE'], "
    "s.DEBUG, s.IMPORT_MAX_BYTES, repr(s.CREDIT_FEED_URL), s.BUREAU_NAME, sep='|')"
)


@pytest.fixture(params=["project", "odd-dot-env"])
def root(request, tmp_path) -> Path:
    """Where the settings live: the project tree, or a copy of `config/` beside an odd `.env`
    (BASE_DIR is then the copy; the apps still import from the project)."""
    if request.param == "project":
        return ROOT
    shutil.copytree(ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("*.pyc"))
    (tmp_path / ".env").write_text(ODD_ENV, encoding="utf-8")
    return tmp_path


def run(
    settings: str, env: dict[str, str], root: Path = ROOT, *, env_file: str | None = ""
) -> subprocess.CompletedProcess:
    """Import `settings` in a fresh interpreter; `env_file` is DJANGO_ENV_FILE (None: unset)."""
    drop = {*PRODUCTION_ENV, "REDIS_URL", "DATABASE_URL", "DJANGO_ENV_FILE", "BUREAU_NAME"}
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    if env_file is not None:
        clean["DJANGO_ENV_FILE"] = env_file
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=root,
        env={
            **clean,
            "PYTHONPATH": f"{root}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": settings,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without(missing, root):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run("config.settings.production", env, root)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_starts_with_its_settings(root):
    result = run("config.settings.production", PRODUCTION_ENV, root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("|")[:2] == ["Asia/Shanghai", "zh-hans"]


def test_quick_start_runs_on_embedded_defaults(root):
    # No DATABASE_URL, no REDIS_URL: SQLite and kombu's filesystem transport, never eager mode.
    result = run("config.settings.local", {}, root)
    assert result.returncode == 0, result.stderr
    fields = result.stdout.strip().split("|")
    assert fields[2:4] == ["filesystem://localhost/", "django.db.backends.sqlite3"]
    assert fields[4:] == ["True", str(200 * 2**20), "''", "重庆市渝中区司法局"]


def test_production_refuses_to_start_with_a_malformed_pii_key(root):
    """Issue 14 §4: a key that is not a Fernet key stops start-up (django.setup(), as gunicorn and
    Celery do), not the first page that shows an ID number."""
    env = {**PRODUCTION_ENV, "PII_KEYS": f"{PRODUCTION_ENV['PII_KEYS']},not-a-key"}
    result = run("config.settings.production", env, root)
    assert result.returncode != 0
    assert "PII_KEYS: key 2 is not a Fernet key" in result.stderr


def test_quick_start_makes_its_pii_key_once_and_keeps_it(tmp_path):
    """`make run` needs no set-up: the local settings make var/pii.key on first run (readable by
    its owner only) and read the same key afterwards, so the demo's ID numbers stay readable."""
    shutil.copytree(ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("*.pyc"))
    show = "import django; django.setup(); from django.conf import settings as s; print(s.PII_KEYS)"

    def keys() -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("PII_KEYS", "DATABASE_URL")}
        result = subprocess.run(
            [sys.executable, "-c", show],
            cwd=tmp_path,
            env={
                **env,
                "DJANGO_ENV_FILE": "",
                "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    first = keys()
    key_file = tmp_path / "var" / "pii.key"
    assert key_file.read_text() in first
    assert key_file.stat().st_mode & 0o077 == 0
    assert keys() == first
    assert [p.name for p in key_file.parent.iterdir()] == ["pii.key"]


def test_the_test_settings_never_read_a_dot_env(tmp_path):
    """Even with DJANGO_ENV_FILE unset or naming the file: the run's database, broker, feed and
    bureau are the tests' own, never a production .env's."""
    root = tmp_path
    shutil.copytree(ROOT / "config", root / "config", ignore=shutil.ignore_patterns("*.pyc"))
    (root / ".env").write_text(ODD_ENV, encoding="utf-8")
    for env_file in (None, str(root / ".env")):
        result = run("config.settings.test", {}, root, env_file=env_file)
        assert result.returncode == 0, result.stderr
        fields = result.stdout.strip().split("|")
        assert fields[2:] == [
            "filesystem://localhost/",
            "django.db.backends.sqlite3",
            "False",
            str(200 * 2**20),
            "''",
            "重庆市渝中区司法局",
        ]


def test_a_deployment_reads_its_dot_env(tmp_path):
    """What docs/deployment.md §3 promises: production reads the .env beside manage.py, or the
    file DJANGO_ENV_FILE names; a variable set in the environment wins over the file."""
    root = tmp_path / "app"
    shutil.copytree(ROOT / "config", root / "config", ignore=shutil.ignore_patterns("*.pyc"))
    good = "SECRET_KEY=k\nDATABASE_URL=postgres://u:p@db:5432/x\nALLOWED_HOSTS=a.gov.cn\n"
    good += f"PII_KEYS={PRODUCTION_ENV['PII_KEYS']}\n"
    (root / ".env").write_text(good + "BUREAU_NAME=甲市司法局\n", encoding="utf-8")
    other = tmp_path / "other.env"
    other.write_text(good + "BUREAU_NAME=乙市司法局\n", encoding="utf-8")

    beside = run("config.settings.production", {}, root, env_file=None)
    assert beside.returncode == 0, beside.stderr
    assert beside.stdout.strip().split("|")[-1] == "甲市司法局"
    named = run("config.settings.production", {}, root, env_file=str(other))
    assert named.stdout.strip().split("|")[-1] == "乙市司法局"
    overridden = run("config.settings.production", {"BUREAU_NAME": "丙"}, root, env_file=None)
    assert overridden.stdout.strip().split("|")[-1] == "丙"
    none = run("config.settings.production", {}, root, env_file="")
    assert "SECRET_KEY must be set in production" in none.stderr


def quick_start_env(tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {
        **clean,
        "DJANGO_ENV_FILE": "",
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
            "DJANGO_ENV_FILE": "",
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
