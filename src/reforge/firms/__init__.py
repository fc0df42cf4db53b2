"""firms."""
