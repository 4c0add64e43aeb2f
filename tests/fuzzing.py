"""Settings of the fuzz tests: modest in the suite (it has a time budget), deeper on demand:
`FUZZ_SCALE=50 .venv/bin/pytest tests/test_public_parameters.py` tries 50 times the examples."""

import os

from hypothesis import HealthCheck, settings

FUZZ_SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))


def fuzz_settings(examples: int) -> settings:
    """`examples` × FUZZ_SCALE examples, no deadline (a request's time varies on a shared
    machine), and the database fixtures set up once per test, which is safe: fuzzed requests
    only read, and a failed import writes nothing."""
    return settings(
        max_examples=examples * FUZZ_SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
