"""``experiment=gw_hf``: GW layer clustering of a local Hugging Face model folder."""

from __future__ import annotations

from dataclasses import replace

import torch

from subnetlab.data.char_text import load_text
from subnetlab.methods.base import RunContext
from subnetlab.methods.gw.hf_model import hf_probe_tokens, load_hf_model
from subnetlab.methods.gw.module import GWModule
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.gw import GWSchema


class _HFProbe:
    """Probe inputs for the Hugging Face model (a stand-in for a datamodule)."""

    def __init__(self, cfg: GWSchema, vocab_size: int, text: str) -> None:
        self.cfg, self.vocab_size, self.text = cfg, vocab_size, text

    def eval_batch(self, size: int) -> torch.Tensor:
        hf = self.cfg.hf
        assert hf.path is not None
        return hf_probe_tokens(hf.path, self.text, hf.probe, size, hf.seq_len, self.vocab_size)


class HFGWModule(GWModule):
    """Loads ``method.hf.path`` itself, so it needs no subnetlab target; the probe text is the
    configured ``char_lm`` dataset's text (or the shipped sonnets)."""

    needs_target = False

    def __init__(self, cfg: GWSchema, ctx: RunContext) -> None:
        if cfg.hf.path is None:
            raise ConfigError("method.hf.path", None, "the folder of a save_pretrained model")
        model = load_hf_model(cfg.hf.path)
        text = load_text(getattr(ctx.dataset_cfg, "text", "shakespeare_sonnets"))
        probe = _HFProbe(cfg, model.vocab_size, text)
        super().__init__(cfg, replace(ctx, target=model, datamodule=probe))  # type: ignore[arg-type]
