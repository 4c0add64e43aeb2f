"""A real Celery worker against the configured broker (Redis in CI) and the test database."""

import os
import time

import pytest

from registry.models import Institution, RiskTier, SupervisionRecord
from registry.tasks import institution_risk_refresh_task
from tests.factories import InstitutionFactory, SupervisionRecordFactory


@pytest.mark.postgres
# Committed data for the worker's own connection; serialized_rollback puts back the rows that
# migrations made (sectors, calendar, groups) for the transactional tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI does)")
def test_worker_refreshes_risk_tiers_through_redis(worker):
    # Y3.2: two valid complaints make a key target; the nightly task stores it.
    firm = InstitutionFactory()
    SupervisionRecordFactory.create_batch(
        2, institution=firm, kind=SupervisionRecord.Kind.COMPLAINT
    )
    assert Institution.objects.get(pk=firm.pk).risk_tier == RiskTier.NORMAL

    institution_risk_refresh_task.delay()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        firm.refresh_from_db()
        if firm.risk_tier == RiskTier.KEY:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    assert firm.risk_tier == RiskTier.KEY
    assert "12 个月内有效投诉 2 件" in firm.risk_reasons
