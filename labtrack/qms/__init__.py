"""The quality system's records every area uses: specification versions and deviations."""
