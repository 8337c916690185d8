"""SPD from Python: ``from subnetlab.spd import decompose`` (see ``decompose``'s docstring and
the README, "SPD on your own network")."""

from subnetlab.lifecycle.decompose import SPDResult, decompose

__all__ = ["SPDResult", "decompose"]
