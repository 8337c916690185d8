"""``dataset=gaussian_inputs``: standard Gaussian probe inputs, for targets whose input
distribution is part of their definition (planted layer families)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from subnetlab.data.probe_set import ProbeInputSet, model_input_width
from subnetlab.schemas.base import ConfigError


def gaussian_probes(n_probes: int, d_in: int, seed: int) -> torch.Tensor:
    """(n_probes, d_in) standard Gaussian probes from a stream of their own: a planted network's
    weights come from ``torch.Generator().manual_seed(seed)``, these from a seed that numpy's
    SeedSequence derives from (seed, 1) (torch's CPU generator keeps 32 bits of its seed, so
    seed + 2³² would repeat the weights' stream)."""
    probe_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    generator = torch.Generator().manual_seed(probe_seed)
    return torch.randn(n_probes, d_in, generator=generator)


class GaussianInputsDataModule(ProbeInputSet):
    """Serves ``cfg.size`` probe inputs of width ``model.d_in`` (``gaussian_probes`` of the run's
    seed).

    Raises:
        ConfigError: the model has no input width ``d_in``.
    """

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__(gaussian_probes(cfg.size, model_input_width(cfg, model_cfg, "d_in"), seed))

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """The first ``size`` inputs (all when None), (size, d_in).

        Raises:
            ConfigError: ``size`` is above ``dataset.size``.
        """
        if size is not None and size > self.n_probes:
            raise ConfigError(
                "dataset.size", self.n_probes, f">= the {size} probe inputs asked for (probe_size)"
            )
        return super().eval_batch(size)
