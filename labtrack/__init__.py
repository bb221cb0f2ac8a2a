"""LabTrack: batch tracking for a GMP cell therapy laboratory.

The application factory lives in ``labtrack.app``; importing this package
stays free of Flask so the pure ``labtrack.domain`` rules load on their own.
"""

__version__ = "0.1.0"
