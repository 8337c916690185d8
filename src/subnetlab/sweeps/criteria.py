"""A success criterion a sweep summary is given: bounds on final metrics a successful job meets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .jobs import is_number


@dataclass(frozen=True)
class SuccessCriterion:
    """A job succeeds when its status is ``ok`` and every bounded metric is a finite number
    within its (inclusive) bounds; ``None`` leaves a side open."""

    name: str
    bounds: Mapping[str, tuple[float | None, float | None]]

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.bounds)

    def passes(self, metrics: Mapping[str, Any]) -> bool:
        if metrics.get("status", "ok") != "ok":
            return False
        for name, (low, high) in self.bounds.items():
            if not is_number(metrics.get(name)):
                return False
            value = float(metrics[name])
            if (low is not None and value < low) or (high is not None and value > high):
                return False
        return True

    def describe(self) -> str:
        """e.g. ``mmcs ≥ 0.99, 0.95 ≤ ml2r ≤ 1.05, target_solution_error = 0``."""
        parts = []
        for name, (low, high) in self.bounds.items():
            if low is not None and low == high:
                parts.append(f"{name} = {low:g}")
            elif low is not None and high is not None:
                parts.append(f"{low:g} ≤ {name} ≤ {high:g}")
            elif low is not None:
                parts.append(f"{name} ≥ {low:g}")
            elif high is not None:
                parts.append(f"{name} ≤ {high:g}")
        return ", ".join(parts)
