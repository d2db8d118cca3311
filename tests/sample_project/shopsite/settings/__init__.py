"""Settings by environment: base, then local (development) on top."""
