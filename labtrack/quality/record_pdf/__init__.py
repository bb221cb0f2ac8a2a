"""The batch release record as a PDF: its text, its growth chart and its layout."""
