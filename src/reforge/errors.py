"""Errors meant for a person: the CLI prints them as one line and exits with code 2."""


class ReforgeError(Exception):
    """A user-facing error (bad input, missing data, wrong option)."""
