"""The batch release record as a PDF: its text, its growth chart and its layout."""

from labtrack import pdf  # noqa: F401  (ReportLab settings before any PDF is drawn)
