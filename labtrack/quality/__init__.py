"""Quality: specifications, QC results, deviations, the release decision and the release record."""
