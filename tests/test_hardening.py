"""Hardening (issue 14 §5; GB/T 22239-2019 8.1.4 入侵防范, 8.1.3 通信传输): the production
settings pass Django's deployment checks; every response carries the browser protections; a body
over the upload limits is refused, clearly, before it is used.

The deployment checks run the production settings in a fresh interpreter with the environment a
bureau's server has (docs/deployment.md §3), never a `.env` from the project tree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]
REALISTIC_ENV = {
    "DJANGO_ENV_FILE": "",
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "s8Jq2vN-7pXw_Lr4Tz9Ke1mYc6Bd0Hf3Gu5Ai8Ro2We7Qs4Nx1Vb9Mj6Pk3Lt0Zy",
    "DATABASE_URL": "postgres://shuangsuiji:pw@db:5432/shuangsuiji",
    "ALLOWED_HOSTS": "inspections.example.gov.cn",
    "PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=",
    "CSRF_TRUSTED_ORIGINS": "https://inspections.example.gov.cn",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp://mail.example.gov.cn:25",
    "SITE_URL": "https://inspections.example.gov.cn",
}


def production(args: list[str], **env: str) -> subprocess.CompletedProcess:
    keep = {
        k: v
        for k, v in os.environ.items()
        if k not in REALISTIC_ENV and not k.startswith(("SECURE_", "EMAIL_", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**keep, **REALISTIC_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    return production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)


def test_production_settings_pass_the_deployment_checks():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_cannot_be_switched_on_in_production():
    """A deployer's DJANGO_DEBUG=yes is ignored: production never shows tracebacks."""
    result = check_deploy(DJANGO_DEBUG="yes")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": "false"}, "security.W005"),
        ({"SECURE_COOKIES": "false"}, "security.W012"),
    ],
    ids=["no-ssl-redirect", "no-hsts", "hsts-without-subdomains", "insecure-cookies"],
)
def test_the_deployment_checks_catch_a_weakened_setting(env, warning):
    """The check above means something: weakening any one protection makes it fail."""
    result = check_deploy(**env)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


HEADERS = """
import django; django.setup()
from django.test import Client
from django.test.utils import override_settings
# The image runs collectstatic at build time; here the manifest's plain counterpart stands in.
override_settings(STORAGES={
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}).enable()
c = Client(raise_request_exception=False)
host = {"HTTP_HOST": "inspections.example.gov.cn"}
plain = c.get("/admin/login/", **host)
print("redirect", plain.status_code, plain.headers.get("Location"))
print("healthz", c.get("/healthz", **host).status_code)
tls = c.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https", **host)
print("status", tls.status_code)
print("hsts", tls.headers.get("Strict-Transport-Security"))
for name in ("csrftoken", "sessionid"):
    if name in tls.cookies:
        m = tls.cookies[name]
        print("cookie", name, bool(m["secure"]), bool(m["httponly"]), m["samesite"])
print("csp", tls.headers.get("Content-Security-Policy"))
"""


@pytest.mark.postgres
def test_production_redirects_to_https_and_sends_hsts_and_secure_cookies(live_database_url):
    """Behind the proxy (X-Forwarded-Proto): plain HTTP is sent to HTTPS (the liveness probe
    excepted); HTTPS answers carry HSTS and cookies only for HTTPS, out of scripts' reach."""
    result = production(["-c", HEADERS], DATABASE_URL=live_database_url)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["redirect"] == "301 https://inspections.example.gov.cn/admin/login/"
    assert lines["healthz"] == "200"
    assert lines["status"] == "200"
    assert lines["hsts"] == "max-age=31536000; includeSubDomains"
    assert lines["cookie"] == "csrftoken True True Lax"
    assert "frame-ancestors 'none'" in lines["csp"]


@pytest.fixture
def live_database_url(db, settings) -> str:
    """The test database (migrated; the login page needs its tables, none of its rows)."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL")
    user, host, port = database["USER"], database["HOST"], database["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/admin/login/", "/inspect/"])
def test_every_screen_sends_the_browser_protections(client, url):
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["style-src"] == "'self'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


# -- upload limits ------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(REQUEST_MAX_BYTES=64 * 1024)
def test_a_body_over_the_request_limit_is_refused_before_it_is_read(client):
    """An outsider posts a body larger than any upload (here 64 KiB for the test): 413 with the
    limit, before CSRF, login or any view reads it."""
    response = client.post(
        "/admin/login/",
        data=b"x" * (64 * 1024 + 1),
        content_type="application/octet-stream",
    )
    assert response.status_code == 413
    assert "提交的内容超过 0.0625 MB 的上限，未被接收。" in response.content.decode()


@pytest.mark.django_db
@override_settings(REQUEST_MAX_BYTES=64 * 1024)
def test_a_file_over_the_request_limit_is_refused_as_json_for_the_tablet(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/inspect/",
        {"file": SimpleUploadedFile("big.jpg", b"\xff" * (65 * 1024), "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "上限" in response.json()["error"]


@pytest.mark.django_db
def test_a_form_body_over_the_memory_limit_is_refused(client):
    """The non-file part of a body is held in memory: over 2.5 MiB is refused with 413."""
    response = client.post(
        "/admin/login/",
        data="username=a&password=" + "p" * 2_700_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "提交的内容超过 2.5 MB 的上限，未被接收。" in response.content.decode()


@pytest.mark.django_db
def test_a_form_with_too_many_fields_is_refused(client):
    response = client.post(
        "/admin/login/",
        data="&".join(f"f{i}=1" for i in range(1001)),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "提交的字段超过 1000 个的上限，未被接收。" in response.content.decode()


def test_the_documented_proxy_takes_what_django_takes():
    """docs/deployment.md's nginx configuration lets through exactly the largest body Django
    accepts (REQUEST_MAX_BYTES with its default), and waits longer than gunicorn does."""
    from django.conf import settings

    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    mib = settings.REQUEST_MAX_BYTES // 2**20
    assert f"client_max_body_size {mib}m;" in text
    assert "client_body_timeout" in text and "proxy_read_timeout 130s;" in text
