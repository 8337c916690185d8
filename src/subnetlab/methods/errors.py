"""Errors a method raises to stop a run with a clear message."""


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


class TargetCapabilityError(ValueError):
    """A method cannot analyse this kind of target (e.g. SPD on a model without decomposable
    matrices); the message says what the method needs."""
