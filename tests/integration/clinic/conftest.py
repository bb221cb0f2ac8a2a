"""What the clinic's tests share: a clinician and a released two-level batch of theirs."""

import pytest

from tests import builders


@pytest.fixture
def clinician(app):
    return builders.user("clinician")


@pytest.fixture
def released(clinician):
    """A released batch with doses for L4-L5 and L5-S1."""
    batch = builders.releasable_batch(builders.order(clinician))
    builders.release(batch)
    return batch
