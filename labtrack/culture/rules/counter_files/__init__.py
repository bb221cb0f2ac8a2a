"""Counter export files: one parser per instrument's format, chosen by the file's content.

Each parser gives the same :class:`Reading` per count; a file that cannot be read is
refused with :class:`FileRefused`, whose ``code`` the import translates.
"""

from labtrack.culture.rules.counter_files.detect import read_counter_file
from labtrack.culture.rules.counter_files.reading import (
    CounterFormat,
    CounterReadout,
    FileRefused,
    Reading,
)

__all__ = ["CounterFormat", "CounterReadout", "FileRefused", "Reading", "read_counter_file"]
