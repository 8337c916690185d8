"""The error of a data file that cannot be used: missing, unreadable, malformed or truncated.

It is the user's to fix (put the right file there), so a run stops on it with one line naming the
file and the problem, and exit status 2."""


class DataError(ValueError):
    """A data file is missing, unreadable or not in the expected format."""
