"""Counter files: the same plausibility rules as a typed count, on the preview."""

import re
from datetime import timedelta

from labtrack.culture import plausibility
from labtrack.database import utcnow
from tests import builders, counter_files
from tests.integration.bench_forms import text
from tests.integration.culture.counter_import_helpers import (
    file_time,
    preview_url,
    review_then_confirm,
    submit_preview,
    upload,
)


def test_a_row_past_a_soft_limit_is_warned_on_the_preview_and_kept_with_its_warning(
        signed_in):
    client, technician = signed_in("technician")
    batch = builders.seeded_batch(technician=technician)
    builders.count(batch, 2_000_000, counted_at=utcnow() - timedelta(days=1))
    content = counter_files.nc202(
        {"sample": batch.batch_number, "when": file_time(), "total": "1.07E+06",
         "live": "1 020 000", "dead": "50 000", "viability": "95.3"})
    url = preview_url(upload(client, content))
    page = text(submit_preview(client, url, {2: "20"})).replace("&#39;", "'")
    row = re.search(r'data-line="2" data-importable="\w+">(.*?)</tr>', page, re.S).group(1)
    assert "Viable cells: 20.4 × 10⁶ means a doubling time of" in row
    assert review_then_confirm(client, url, {2: "20"}).status_code == 302
    [exception] = plausibility.plausibility_exceptions(batch)
    assert exception.value == "20.4 × 10⁶ viable cells"
    assert "import preview" in exception.reason and "doubling time" in exception.warning
