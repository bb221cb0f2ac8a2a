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


@pytest.fixture
def treat(clinician):
    """Make, release and inject a two-level batch for a new patient of ``clinician``,
    ``days_ago`` days ago; returns the order."""

    def make(days_ago=100, clinician_=None):
        return builders.treated_order(clinician_ or clinician, days_ago)

    return make
