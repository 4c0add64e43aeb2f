"""Fixtures: one logged-in client per role (core.roles), and the PostgreSQL-only marker."""

import os

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection

from core import roles
from tests.factories import UserFactory
from tests.twofactor import SecondFactorClient
from tests.workers import worker_start

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config):
    # Here rather than in pyproject.toml, whose every change makes `make` reinstall the virtualenv.
    config.addinivalue_line(
        "markers",
        'slow: starts and stops real processes for tens of seconds (CI runs them; -m "not slow" '
        "leaves them out)",
    )


MAX_TEST_ID_LENGTH = 300


def pytest_collection_modifyitems(config, items):
    # A parametrized value becomes the test's id: 10 MB of bytes once made a 40 MB test name and a
    # 42 MB CI log. Such a parameter needs `ids=`.
    too_long = [item.nodeid for item in items if len(item.nodeid) > MAX_TEST_ID_LENGTH]
    if too_long:
        raise pytest.UsageError(
            f"{len(too_long)} test id(s) longer than {MAX_TEST_ID_LENGTH} characters; give their "
            f"parametrize ids=: {too_long[0][:MAX_TEST_ID_LENGTH]}…"
        )
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does) to run it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def client():
    return SecondFactorClient()


@pytest.fixture
def admin_client(db, admin_user):
    client = SecondFactorClient()
    client.force_login(admin_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (the results list caches its counts)."""
    cache.clear()


@pytest.fixture
def worker():
    """A Celery worker on the configured broker and the test database (tests/workers.py), stopped
    at the end; what it printed is in `worker.stdout`."""
    proc = worker_start()
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


def _user_in(group_name: str, username: str, *, is_staff: bool = True):
    user = UserFactory(username=username, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=group_name))
    return user


# One fixture per role, each spelled out, so that a test names the roles it needs.
@pytest.fixture
def staff_user(db):
    return _user_in(roles.STAFF, "staff")


@pytest.fixture
def leader_user(db):
    return _user_in(roles.LEADER, "leader")


@pytest.fixture
def legal_user(db):
    return _user_in(roles.LEGAL, "legal")


@pytest.fixture
def auditor_user(db):
    return _user_in(roles.AUDITOR, "auditor")


@pytest.fixture
def inspector_user(db):
    return _user_in(roles.INSPECTOR, "inspector", is_staff=False)


# The three separated administrators (三员分立, issue 14 §2): none is a superuser, none sees the
# business. Tests that need "may do everything" use pytest-django's admin_user (a superuser).
@pytest.fixture
def sysadmin_user(db):
    return _user_in(roles.SYSADMIN, "sysadmin")


@pytest.fixture
def secadmin_user(db):
    return _user_in(roles.SECADMIN, "secadmin")


@pytest.fixture
def auditadmin_user(db):
    return _user_in(roles.AUDITADMIN, "auditadmin")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
