"""A fixed set of probe inputs held by the datamodule (``dataset=tensors``' file, or inputs drawn
when it is built for targets whose input distribution is part of their definition:
``dataset=uniform_inputs``, ``gaussian_inputs``); no training batches."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from subnetlab.schemas.base import ConfigError


def model_input_width(cfg: Any, model_cfg: Any, key: str) -> int:
    """The input width the model option gives as ``model.<key>`` (``widths``: its first entry).

    Raises:
        ConfigError: the model has no such width (naming the dataset option ``cfg``).
    """
    value = getattr(model_cfg, key, None)
    if not value:
        raise ConfigError(
            "dataset",
            cfg.name,
            f"a model with an input width (model.{key}); model={model_cfg.name} has none",
        )
    return int(value[0] if key == "widths" else value)


class ProbeInputSet(L.LightningDataModule):
    """Serves the rows of ``inputs`` (n, width) as probe inputs, the first ``size`` on request."""

    def __init__(self, inputs: torch.Tensor) -> None:
        super().__init__()
        self.inputs = inputs

    @property
    def n_probes(self) -> int:
        """How many inputs it holds."""
        return len(self.inputs)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """The first ``size`` inputs (all when None), (size, width)."""
        return self.inputs[:size]

    def eval_targets(self, size: int | None = None) -> torch.Tensor | None:
        """None: the inputs have no targets."""
        return None
