"""Values that cannot be true are refused at the bench, naming the field and the limit."""

from datetime import timedelta

import pytest

from labtrack.culture.models import CultureStep
from tests import builders
from tests.integration.bench_forms import local, post_step, rows, text


@pytest.mark.parametrize("confluence", ["150", "-5", "101"])
def test_a_confluence_outside_0_to_100_is_refused(signed_in, confluence):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    before = rows(CultureStep)
    response = post_step(client, batch, "observation", confluence_percent=confluence,
                         contamination_signs="no")
    assert response.status_code == 400
    assert "Confluence must be between 0 and 100 %." in text(response)
    assert rows(CultureStep) == before


@pytest.mark.parametrize("confluence", ["0", "100", "65"])
def test_a_confluence_from_0_to_100_is_recorded(signed_in, confluence):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician, seeded_days_ago=1)
    response = post_step(client, batch, "observation", confluence_percent=confluence,
                         contamination_signs="no")
    assert response.status_code == 302, text(response)


def test_a_step_beyond_the_clock_skew_is_refused_naming_the_allowed_skew(signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician)
    response = post_step(client, batch, "medium_change", performed_at=local(timedelta(hours=1)))
    assert response.status_code == 400
    assert "performed at may be at most 5 minutes ahead of the server" in text(response)
