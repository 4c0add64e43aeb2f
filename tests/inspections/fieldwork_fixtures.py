"""Fieldwork on top of the executed draw of tests/inspections/conftest.py: a login for every
inspector of the registry, one inspection with its team of two, someone outside that team, the
day of the visit, media files in a temporary folder (tests/inspections/fieldwork_data.py has what
a tablet sends).

Test modules load these fixtures with `pytest_plugins = ["tests.inspections.fieldwork_fixtures"]`;
they need an `executed` fixture (the conftest's, or the module's own). Import nothing from here:
the module is a plugin, loaded once by pytest."""

import pytest
from django.contrib.auth.models import Group

from core import roles
from inspections.models import Inspection
from registry.models import Inspector
from tests.factories import UserFactory
from tests.inspections.conftest import clock
from tests.inspections.fieldwork_data import VISIT


@pytest.fixture
def inspector_accounts(executed):
    """Every inspector of the registry gets an account in the inspectors' group."""
    group = Group.objects.get(name=roles.INSPECTOR)
    accounts = {}
    for inspector in Inspector.objects.order_by("pk"):
        user = UserFactory(username=f"jc{inspector.certificate_number}")
        user.groups.add(group)
        inspector.user = user
        inspector.save(update_fields=["user"])
        accounts[inspector.pk] = user
    return accounts


@pytest.fixture
def inspection(executed, inspector_accounts) -> Inspection:
    """The first target of the executed draw, with its team of two (N11)."""
    return Inspection.objects.filter(task=executed.task).order_by("pk").first()


@pytest.fixture
def team(inspection, inspector_accounts) -> list:
    """The team's accounts, the leader (position 1) first."""
    return [inspector_accounts[m.inspector_id] for m in inspection.members.order_by("position")]


@pytest.fixture
def outsider(inspection, inspector_accounts):
    """An inspector of the registry who is not on this inspection's team."""
    on_team = set(inspection.members.values_list("inspector_id", flat=True))
    return next(u for pk, u in inspector_accounts.items() if pk not in on_team)


@pytest.fixture
def on_visit_day(executed):
    """The services run on the day of the visit (after the draw, inside the round)."""
    with clock(VISIT):
        yield


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
