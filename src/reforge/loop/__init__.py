"""Closing the loop from chokepoint to fix: chain leaders, tackling projects, label history, boards."""
