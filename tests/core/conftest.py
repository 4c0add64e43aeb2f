"""The office's staff member and leader in charge, with the e-mail addresses their reminders go
to (the deadline tests)."""

import pytest

from tests.core import upgrades


@pytest.fixture
def staff(staff_user):
    staff_user.email, staff_user.first_name = "staff@bureau.example", "李科员"
    staff_user.save()
    return staff_user


@pytest.fixture
def leader(leader_user):
    leader_user.email = "leader@bureau.example"
    leader_user.save()
    return leader_user


@pytest.fixture
def scratch_database():
    """A database of its own, dropped afterwards (tests/core/upgrades.py)."""
    yield from upgrades.scratch_database()
