"""``dataset=uniform_inputs``: probe inputs drawn uniformly from a box, for targets whose input
distribution is part of their definition (a planted circuit)."""

from __future__ import annotations

from typing import Any

import torch

from subnetlab.data.probe_set import ProbeInputSet, model_input_width

#: seed offset of the inputs' draw, apart from the run's other draws
INPUT_STREAM = 11


class UniformInputsDataModule(ProbeInputSet):
    """Serves ``cfg.size`` inputs of width ``model.widths[0]``, uniform in [low, high], as probe
    inputs.

    Raises:
        ConfigError: the model has no input widths ``model.widths``.
    """

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        width = model_input_width(cfg, model_cfg, "widths")
        generator = torch.Generator().manual_seed(seed + INPUT_STREAM)
        unit = torch.rand(cfg.size, width, generator=generator)
        super().__init__(cfg.low + (cfg.high - cfg.low) * unit)
