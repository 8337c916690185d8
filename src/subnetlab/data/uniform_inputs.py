"""``dataset=uniform_inputs``: probe inputs drawn uniformly from a box, for targets whose input
distribution is part of their definition (a planted circuit)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from subnetlab.schemas.base import ConfigError

#: seed offset of the inputs' draw, apart from the run's other draws
INPUT_STREAM = 11


class UniformInputsDataModule(L.LightningDataModule):
    """Serves ``cfg.size`` inputs of width ``model.widths[0]`` as probe inputs; no targets and no
    training batches."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        widths = getattr(model_cfg, "widths", None)
        if not widths:
            raise ConfigError(
                "dataset",
                cfg.name,
                f"a model with input widths (model.widths); model={model_cfg.name} has none",
            )
        generator = torch.Generator().manual_seed(seed + INPUT_STREAM)
        unit = torch.rand(cfg.size, widths[0], generator=generator)
        self.inputs = cfg.low + (cfg.high - cfg.low) * unit

    @property
    def n_probes(self) -> int:
        """``dataset.size``: the inputs drawn."""
        return len(self.inputs)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """The first ``size`` inputs (all when None), (size, widths[0])."""
        return self.inputs[:size]

    def eval_targets(self, size: int | None = None) -> torch.Tensor | None:
        """None: the inputs have no targets."""
        return None
