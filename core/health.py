"""Health details (`/healthz?details=1`): what the apps register here — a missing font, say —
reported to the operator (and to `manage.py check` by each app's own system check). Apps register
in their AppConfig.ready(); core itself knows none of them (floors)."""

from collections.abc import Callable

# name → a callable giving the problems ([] when healthy)
_checks: dict[str, Callable[[], list[str]]] = {}


def health_check(name: str, check: Callable[[], list[str]]) -> None:
    _checks[name] = check


def health_details() -> dict:
    checks = {}
    for name, check in sorted(_checks.items()):
        problems = [str(p) for p in check()]
        checks[name] = {"ok": not problems, "problems": problems}
    return {"ok": all(c["ok"] for c in checks.values()), "checks": checks}
