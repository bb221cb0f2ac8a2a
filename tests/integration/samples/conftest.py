"""What the sample pages' tests share."""

import pytest

from tests import builders


@pytest.fixture
def bench(signed_in):
    """A signed-in technician's client and an authorised order awaiting its sample."""
    client, technician = signed_in("technician")
    return client, builders.order()
