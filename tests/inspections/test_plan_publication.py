"""The public plan shows what was published (Y3.4): edits prepared under an open revision stay
private until the revision is published."""

import datetime as dt

import pytest
from django.urls import reverse

from inspections.services.plans import plan_publish, plan_revision_open, plan_revision_publish
from tests.factories import CheckItemFactory, JurisdictionFactory
from tests.inspections.conftest import clock, plan_make

pytestmark = pytest.mark.django_db


def shows(page: str, day: dt.date) -> bool:
    return f"{day.year}年{day.month}月{day.day}日" in page or day.isoformat() in page


def test_open_revision_edits_appear_only_once_published(client, staff_user):
    items = [CheckItemFactory(code="LS-01"), CheckItemFactory(code="LS-02")]
    plan = plan_make(jurisdiction=JurisdictionFactory(), check_items=items)
    with clock(dt.date(2026, 1, 20)):
        plan_publish(plan=plan, user=staff_user)
    url = reverse("inspections:plan_detail", args=[plan.pk])
    assert (
        "2026-10-19" in client.get(url).content.decode()
        or "2026年10月19日" in client.get(url).content.decode()
    )

    with clock(dt.date(2026, 9, 1)):
        revision = plan_revision_open(
            plan=plan,
            reason="国庆假期调整",
            summary="第 2 批推迟一周",
            affected_starts_on=dt.date(2026, 10, 19),
            user=staff_user,
        )
    second = plan.sections.get().rounds.get(number=2)
    second.starts_on = dt.date(2026, 10, 26)
    second.save()
    page = client.get(url).content.decode()
    assert not shows(page, dt.date(2026, 10, 26))

    with clock(dt.date(2026, 9, 2)):
        plan_revision_publish(revision=revision, user=staff_user)
    page = client.get(url).content.decode()
    assert shows(page, dt.date(2026, 10, 26))
    assert "国庆假期调整" in page
