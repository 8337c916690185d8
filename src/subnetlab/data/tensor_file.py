"""``dataset=tensors``: probe inputs (and optionally their targets) from a user's ``.pt`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from subnetlab.data.probe_set import ProbeInputSet
from subnetlab.schemas.base import ConfigError

FILE_FORMAT = (
    "a .pt file holding an (n, n_inputs) tensor, or a dict with 'inputs' (n, n_inputs) and "
    "optionally 'targets' ((n,) integer class labels or (n, n_outputs) floats)"
)


def _bad(path: str, why: str) -> ConfigError:
    return ConfigError("dataset.path", path, f"{FILE_FORMAT}; {why}")


def load_tensor_file(path: str | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(inputs (n, n_inputs), targets or None) from ``path``.

    Raises:
        ConfigError: no path was given, or the file is missing, unreadable or not in the format
            above (one line).
    """
    if not path:
        raise ConfigError(
            "dataset.path", path, "the path of a .pt file with the input tensors (dataset.path=...)"
        )
    file = Path(path).expanduser()
    if not file.is_file():
        raise _bad(path, "no such file")
    try:
        payload = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # any unreadable file (garbage, foreign pickle) is one case
        raise _bad(path, f"it does not load ({err.__class__.__name__})") from None
    if isinstance(payload, torch.Tensor):
        payload = {"inputs": payload}
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), torch.Tensor):
        raise _bad(path, "it holds no 'inputs' tensor")
    unknown = sorted(set(payload) - {"inputs", "targets"})
    if unknown:
        raise _bad(path, f"unknown keys {unknown}")
    inputs, targets = payload["inputs"], payload.get("targets")
    if inputs.ndim != 2 or len(inputs) < 1:
        raise _bad(path, f"its inputs have shape {tuple(inputs.shape)}, not (n, n_inputs)")
    if targets is not None:
        if not isinstance(targets, torch.Tensor) or len(targets) != len(inputs):
            raise _bad(path, f"its targets do not give one row per input ({len(inputs)})")
        labels = targets.ndim == 1 and not targets.is_floating_point()
        if not (labels or (targets.ndim == 2 and targets.is_floating_point())):
            raise _bad(
                path,
                f"its targets are {targets.dtype} {tuple(targets.shape)}: neither labels "
                "(n,) integers nor (n, n_outputs) floats",
            )
    return inputs, targets


class TensorFileDataModule(ProbeInputSet):
    """Serves the file's rows in order as probe inputs (``eval_batch``) with their targets
    (``eval_targets``); it has no training batches."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        inputs, self.targets = load_tensor_file(cfg.path)
        super().__init__(inputs)
        self.cfg, self.seed = cfg, seed

    def eval_targets(self, size: int | None = None) -> torch.Tensor | None:
        """Targets of ``eval_batch(size)``, None when the file has none."""
        return None if self.targets is None else self.targets[:size]
