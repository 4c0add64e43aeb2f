"""Playwright against the system Chromium (never a downloaded browser), offline: no sync, no
component updates, no QUIC — the only server is pytest-django's live_server on loopback.

The browser tests need committed data (`transaction=True`), and each one ends with a flush. The
rows that migrations put in the database (the six sectors, the calendar, the groups) are brought
back with `serialized_rollback` — with one twist: Playwright's sync API keeps an event loop running
in this thread, so Django hands these tests a second, async-context set of connections that lacks
the snapshot taken when the test database was created. The fixtures below give it that snapshot,
and restore the rows after the last browser test for the transactional tests that run later.

Every page of every browser test runs under the site's Content-Security-Policy, enforced (never
`bypass_csp`), and a test fails on any violation the page reports (issue 14 §5): a script, style,
frame or request the policy refused means a screen that is broken in production.
"""

import pytest
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections

# In every frame, before the page's own scripts: each refusal is said on the console, which the
# context's listener below collects (Chromium's own "Refused to …" messages are collected too).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.effectiveDirective} refused ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber} ${e.sample || ""}`);
});
"""


def watch_csp(context, seen: list[str]) -> None:
    context.add_init_script(REPORT_VIOLATIONS)

    def on_console(message) -> None:
        text = message.text
        if text.startswith("CSP violation") or (
            "Content Security Policy" in text and "Refused to" in text
        ):
            seen.append(f"{message.page.url if message.page else '?'}: {text}")

    context.on("console", on_console)


@pytest.fixture(autouse=True)
def csp_violations(request, monkeypatch):
    """What the pages of this test refused under the policy; the test fails if any."""
    seen: list[str] = []
    if "browser" in request.fixturenames:
        browser = request.getfixturevalue("browser")
        new_context = browser.new_context

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            watch_csp(context, seen)
            return context

        monkeypatch.setattr(browser, "new_context", watched_context)
    yield seen
    assert not seen, "Content-Security-Policy violations:\n" + "\n".join(seen)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def _restore(contents: str) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    connection.creation.deserialize_db_from_string(contents)
    # The rows come back with their ids; the sequences must move past them (PostgreSQL).
    models = {obj.object.__class__ for obj in _objects(contents)}
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _objects(contents: str):
    from django.core import serializers

    return serializers.deserialize("json", contents, using=DEFAULT_DB_ALIAS)


@pytest.fixture(scope="module")
def migrated_rows(django_db_setup, django_db_blocker):
    """The database as migrations left it; put back after the module's last flush."""
    connection = connections[DEFAULT_DB_ALIAS]
    with django_db_blocker.unblock():
        # The transactional tests run after all others, the browser tests first among them: the
        # database is still as migrated when this snapshot is taken (if none was taken before).
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is None:
            contents = connection.creation.serialize_db_to_string()
    yield contents
    with django_db_blocker.unblock():
        _restore(contents)


@pytest.fixture(autouse=True)
def _serialized_rollback_in_playwright(migrated_rows):
    connections[DEFAULT_DB_ALIAS]._test_serialized_contents = migrated_rows
    yield
    # Before pytest-django's flush: it then keeps post_migrate quiet and the next test's setup
    # restores the rows from this snapshot.
    connections[DEFAULT_DB_ALIAS]._test_serialized_contents = migrated_rows
