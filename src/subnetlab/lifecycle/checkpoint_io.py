"""How the Trainer writes and reads ``checkpoints/last.ckpt``: atomically beside the destination,
only when all of the state is finite, and read back weights-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.plugins.io import TorchCheckpointIO

from subnetlab.utils.atomic_files import save_torch_atomic
from subnetlab.utils.checkpoint_files import (
    CheckpointFileError,
    non_finite_entries,
    read_checkpoint,
)

#: the parts of a Lightning checkpoint that a resumed run continues from
CHECKED_STATE = ("state_dict", "optimizer_states")


class NonFiniteCheckpointError(RuntimeError):
    """The training state holds NaN or inf, so it is not written as the last good checkpoint."""


def non_finite_state(checkpoint: dict[str, Any]) -> str | None:
    """None when the weights and the optimizer state of a Lightning checkpoint are finite, else
    up to three of the offending entries, e.g. ``optimizer_states[0].state.0.exp_avg_sq``."""
    bad = [
        entry for part in CHECKED_STATE for entry in non_finite_entries(checkpoint.get(part), part)
    ]
    if not bad:
        return None
    return ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")


class SafeCheckpointIO(TorchCheckpointIO):
    """Lightning's checkpoint IO, except that a checkpoint is written only when its weights and
    optimizer state are finite, goes to a temporary file in its own folder (fsynced, then renamed
    over ``path``), and is always read with ``weights_only=True``."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        bad = non_finite_state(checkpoint)
        if bad is not None:
            raise NonFiniteCheckpointError(
                f"training state became non-finite by step {checkpoint.get('global_step', '?')} "
                f"(NaN/inf in {bad}); {path} was not overwritten and keeps the last good state"
            )
        destination = Path(path)
        destination.parent.mkdir(parents=True, exist_ok=True)
        save_torch_atomic(destination, checkpoint)

    def load_checkpoint(
        self,
        path: Any,
        map_location: Callable[..., Any] | None = lambda storage, loc: storage,
        weights_only: bool | None = None,
    ) -> dict[str, Any]:
        return super().load_checkpoint(path, map_location=map_location, weights_only=True)


def check_resumable(path: Path) -> None:
    """Check, before the Trainer loads it, that ``path`` is a finite Lightning checkpoint that a
    weights-only load accepts.

    Raises:
        CheckpointFileError: one line saying what is wrong with the file.
    """
    checkpoint = read_checkpoint(path)
    if not isinstance(checkpoint, dict) or not {"state_dict", "global_step"} <= set(checkpoint):
        raise CheckpointFileError(
            f"{path} is not a Lightning training checkpoint (it has no state_dict and global_step)"
        )
    bad = non_finite_state(checkpoint)
    if bad is not None:
        raise CheckpointFileError(f"{path} holds NaN/inf in {bad}")
