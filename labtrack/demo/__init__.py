"""Demo data for trying LabTrack on a laptop (never in production), made through the use cases."""
