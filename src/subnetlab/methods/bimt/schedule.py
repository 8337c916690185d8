"""The strength of the connection cost over training, as phases of the run."""

from __future__ import annotations

import math
from dataclasses import dataclass


def start_step(fraction: float, total_steps: int) -> int:
    """First step at or after ``fraction`` of ``total_steps`` (steps count from 0)."""
    return math.ceil(fraction * total_steps - 1e-9)


@dataclass(frozen=True)
class LambdaSchedule:
    """lambda(step) = base * multiplier of the phase the step falls in.

    ``phases`` lists (start_fraction, multiplier) pairs; the first starts at 0 and the fractions
    increase. BIMT's symbolic runs: base 1e-3, phases ((0, 1), (0.25, 10), (0.75, 1)).
    """

    base: float
    phases: tuple[tuple[float, float], ...] = ((0.0, 1.0),)

    def __post_init__(self) -> None:
        if self.base < 0:
            raise ValueError(f"lambda base={self.base} must be >= 0")
        if not self.phases or self.phases[0][0] != 0.0:
            raise ValueError(f"phases={self.phases} must be non-empty and start at fraction 0")
        starts = [start for start, _ in self.phases]
        if any(b <= a for a, b in zip(starts, starts[1:], strict=False)) or starts[-1] >= 1:
            raise ValueError(f"phase starts {starts} must increase strictly within [0, 1)")
        if any(mult < 0 for _, mult in self.phases):
            raise ValueError(f"phase multipliers in {self.phases} must be >= 0")

    def switch_steps(self, total_steps: int) -> list[int]:
        """The step at which each phase begins."""
        return [start_step(start, total_steps) for start, _ in self.phases]

    def value(self, step: int, total_steps: int) -> float:
        """lambda at ``step`` of a run of ``total_steps``."""
        multiplier = self.phases[0][1]
        for (_, phase_multiplier), begin in zip(
            self.phases, self.switch_steps(total_steps), strict=True
        ):
            if step >= begin:
                multiplier = phase_multiplier
        return self.base * multiplier
