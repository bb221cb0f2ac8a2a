"""Reports as plain functions returning bytes: PDF labels, release records, charts."""
