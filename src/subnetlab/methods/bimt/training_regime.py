"""What each ``train_type`` of BIMT's five-way ablation switches on."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.methods.bimt.connection_cost import CostSettings

TRAIN_TYPES: tuple[str, ...] = ("vanilla", "l1", "l1_local", "l1_swap", "bimt")


@dataclass(frozen=True)
class TrainingRegime:
    """penalize: add lambda * cost to the loss; local: the cost includes wire length;
    swap: relocate neurons periodically (always choosing by wire length)."""

    name: str
    penalize: bool
    local: bool
    swap: bool

    @classmethod
    def from_name(cls, name: str) -> TrainingRegime:
        flags = {
            "vanilla": (False, False, False),
            "l1": (True, False, False),
            "l1_local": (True, True, False),
            "l1_swap": (True, False, True),
            "bimt": (True, True, True),
        }
        if name not in flags:
            raise ValueError(f"train_type={name!r} is not supported; allowed: {list(TRAIN_TYPES)}")
        return cls(name, *flags[name])

    def training_cost(self, cost: CostSettings) -> CostSettings | None:
        """The cost added to the loss, or None when nothing is penalised."""
        if not self.penalize:
            return None
        return cost if self.local else cost.without_locality()
