"""Which counter wrote a file, judged by its content (never by its name or extension)."""

from __future__ import annotations

from labtrack.culture.rules.counter_files import nc200, nc202, vicell_blu, vicell_xr
from labtrack.culture.rules.counter_files.reading import CounterReadout, FileRefused
from labtrack.culture.rules.counter_files.text import decode

TABLE_FORMATS = (nc202, vicell_blu, vicell_xr)


def read_counter_file(data: bytes) -> CounterReadout:
    """The readings in a counter export, or :class:`FileRefused` saying why not."""
    text = decode(data)
    if nc200.matches(text):
        return nc200.parse(text)
    for fmt in TABLE_FORMATS:
        header = fmt.matches(text)
        if header is not None:
            return fmt.parse(text, header)
    raise FileRefused("unknown_kind", "This is not a cell counter export LabTrack reads "
                                      "(NucleoCounter NC-202 or NC-200, Vi-CELL BLU or XR).")
