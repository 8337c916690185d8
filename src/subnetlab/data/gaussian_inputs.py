"""``dataset=gaussian_inputs``: standard Gaussian probe inputs, for targets whose input
distribution is part of their definition (planted layer families)."""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch

from subnetlab.schemas.base import ConfigError


def gaussian_probes(n_probes: int, d_in: int, seed: int) -> torch.Tensor:
    """(n_probes, d_in) standard Gaussian probes from a stream of their own: a planted network's
    weights come from ``torch.Generator().manual_seed(seed)``, these from a seed that numpy's
    SeedSequence derives from (seed, 1) (torch's CPU generator keeps 32 bits of its seed, so
    seed + 2³² would repeat the weights' stream)."""
    probe_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    generator = torch.Generator().manual_seed(probe_seed)
    return torch.randn(n_probes, d_in, generator=generator)


class GaussianInputsDataModule(L.LightningDataModule):
    """Serves ``cfg.size`` probe inputs of width ``model.d_in`` (``gaussian_probes`` of the run's
    seed); no targets and no training batches.

    Raises:
        ConfigError: the model has no input width ``d_in``.
    """

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        d_in = getattr(model_cfg, "d_in", None)
        if not d_in:
            raise ConfigError(
                "dataset",
                cfg.name,
                f"a model with an input width (model.d_in); model={model_cfg.name} has none",
            )
        self.size = cfg.size
        self.inputs = gaussian_probes(cfg.size, d_in, seed)

    @property
    def n_probes(self) -> int:
        """``dataset.size``: the inputs drawn."""
        return self.size

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """The first ``size`` inputs (all when None), (size, d_in).

        Raises:
            ConfigError: ``size`` is above ``dataset.size``.
        """
        if size is not None and size > self.size:
            raise ConfigError(
                "dataset.size", self.size, f">= the {size} probe inputs asked for (probe_size)"
            )
        return self.inputs[:size]

    def eval_targets(self, size: int | None = None) -> torch.Tensor | None:
        """None: the inputs have no targets."""
        return None
