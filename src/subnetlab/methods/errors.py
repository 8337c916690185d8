"""Errors a method raises to stop a run with a clear message."""


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""
