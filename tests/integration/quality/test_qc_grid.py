"""QC entry follows the test: method, unit and limit from the batch's specification version;
one grid enters all of a batch's results in one submit, each row checked, all or none."""

import re

from sqlalchemy import func, select

from labtrack.extensions import db
from labtrack.quality.models import QcResult
from tests import builders
from tests.builders import PASSING_RESULTS
from tests.helpers import results_grid


def _text(response) -> str:
    return response.get_data(as_text=True)


def _row(html: str, code: str) -> str:
    return re.search(rf'<tr data-testid="grid-row" data-code="{code}".*?</tr>', html,
                     re.S).group(0)


def _stored() -> dict:
    return {r.test_code: r for r in db.session.scalars(select(QcResult))}


def test_each_result_takes_the_method_and_unit_of_its_own_test(app, signed_in):
    batch = builders.formulated_batch()
    client, _ = signed_in("technician")
    url = f"/qc/batches/{batch.batch_number}"
    page = client.get(url)
    html = _text(page)
    assert "PCR (Ph. Eur. 2.6.7)" in _row(html, "mycoplasma")
    assert "&lt; 0.5 EU/mL" in _row(html, "endotoxin") and "EU/mL" in _row(html, "endotoxin")
    assert "BacT/ALERT" not in _row(html, "appearance")

    response = client.post(url, data=results_grid(page, mycoplasma="not detected",
                                                  endotoxin="0.12", appearance="conforms"))

    assert response.status_code == 302
    methods = {code: result.method for code, result in _stored().items()}
    assert methods == {"mycoplasma": "PCR (Ph. Eur. 2.6.7)",
                       "endotoxin": "LAL (Ph. Eur. 2.6.14)",
                       "appearance": "visual: no clumps, no visible contamination"}


def test_one_submit_enters_every_result_of_the_batch(app, signed_in):
    batch = builders.formulated_batch()
    client, technician = signed_in("technician")
    url = f"/qc/batches/{batch.batch_number}"
    page = client.get(url)

    response = client.post(url, data=results_grid(page, **PASSING_RESULTS),
                           follow_redirects=True)

    assert "13 results saved." in _text(response)
    stored = _stored()
    assert set(stored) == set(PASSING_RESULTS)
    assert {r.verdict for r in stored.values()} == {"pass"}
    assert {r.entered_by_id for r in stored.values()} == {technician.id}
    assert "Every test of the specification has a result." in _text(response)


def test_a_refused_row_stores_nothing_and_each_problem_shows_on_its_row(app, signed_in):
    batch = builders.formulated_batch()
    client, _ = signed_in("technician")
    url = f"/qc/batches/{batch.batch_number}"
    page = client.get(url)

    response = client.post(url, data=results_grid(
        page, **{**PASSING_RESULTS, "viability": "150", "cd90": "-3", "endotoxin": "lots"}))

    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(QcResult)) == 0
    html = _text(response)
    assert "Nothing was saved" in html
    assert "150 cannot be a result" in _row(html, "viability")
    assert "cannot be below 0" in _row(html, "cd90") or "-3 cannot be" in _row(html, "cd90")
    assert "Enter a number" in _row(html, "endotoxin")
    assert 'value="99"' in _row(html, "cd73")  # what was typed in the good rows is kept
    assert "row-error" not in _row(html, "cd73")


def test_pending_tests_are_listed_and_rows_left_empty_stay_pending(app, signed_in):
    batch = builders.formulated_batch()
    client, _ = signed_in("technician")
    url = f"/qc/batches/{batch.batch_number}"
    page = client.get(url)
    client.post(url, data=results_grid(page, viability="92", cd73="99"))

    html = _text(client.get(url))

    assert set(_stored()) == {"viability", "cd73"}
    pending = re.search(r'data-testid="pending-tests">(.*?)</p>', html, re.S).group(1)
    assert "Sterility" in pending and "Mycoplasma" in pending and "Viability" not in pending
    assert 'data-code="viability"' not in re.search(
        r'data-testid="results-grid".*?</form>', html, re.S).group(0)
