"""ReportLab settings shared by every PDF LabTrack writes (labels, release records).

Import this module before drawing a PDF: ``from labtrack import pdf  # noqa: F401``.
"""

from reportlab import rl_config

# Page streams are written compressed and binary, not also ASCII85-encoded: ReportLab's
# encoder is pure Python (a large share of a release record's rendering time) and the
# encoding only makes the file a quarter larger. Any PDF reader reads both.
rl_config.useA85 = 0
