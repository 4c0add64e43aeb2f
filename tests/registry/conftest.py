"""The registry's jurisdiction, 500103 (渝中区), which every sample file of docs/samples names."""

import pytest

from tests.factories import JurisdictionFactory


@pytest.fixture
def jurisdiction():
    return JurisdictionFactory()  # 500103, which every sample file names
