"""A local Hugging Face causal language model folder (``save_pretrained``) as a target whose
layers are its decoder blocks (``target.hf_path=FOLDER``; needs the optional ``transformers``
extra)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn


def transformer_blocks(model: nn.Module) -> str:
    """Dotted name of the model's stack of decoder blocks: the ``nn.ModuleList`` with the most
    children of one class (GPT-2 ``transformer.h``, Llama ``model.layers``, ...).

    Raises:
        ValueError: the model has no such list.
    """
    best, best_len = "", 0
    for name, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) > best_len:
            kinds = {type(child) for child in module}
            if len(kinds) == 1:
                best, best_len = name, len(module)
    if best_len == 0:
        raise ValueError(f"{type(model).__name__} has no ModuleList of identical blocks to hook")
    return best


class HFBlocks(nn.Module):
    """A Hugging Face causal LM taking (B, T) token ids; ``block_names()`` lists its blocks."""

    def __init__(self, hf_model: nn.Module) -> None:
        super().__init__()
        self.hf = hf_model
        self.stack = "hf." + transformer_blocks(hf_model)
        stack = self.get_submodule(self.stack)
        assert isinstance(stack, nn.ModuleList)  # transformer_blocks names a ModuleList
        self._n_blocks = len(stack)

    @property
    def decomposition_root(self) -> nn.Module:
        """The Hugging Face model itself: parameter decomposition addresses its modules by their
        own names (``transformer.h.0.mlp.c_fc``, ``model.layers.0.mlp.up_proj``)."""
        return self.hf

    def block_names(self) -> list[str]:
        return [f"{self.stack}.{i}" for i in range(self._n_blocks)]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, T) long → logits (B, T, vocab)."""
        return self.hf(input_ids=tokens).logits


def load_hf_model(path: str) -> HFBlocks:
    """The causal LM saved in the local folder ``path`` (``save_pretrained``), in eval mode.

    Raises:
        ValueError: ``path`` is not a model folder (no ``config.json``).
        ImportError: the optional ``transformers`` package is missing
            (``pip install 'subnetlab[transformers]'``).
    """
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise ValueError(
            f"target.hf_path={path}: no Hugging Face model folder there (config.json missing)"
        )
    try:
        from transformers import AutoModelForCausalLM
    except ImportError as err:
        raise ImportError(
            "reading a Hugging Face model needs the optional extra: "
            "pip install 'subnetlab[transformers]'"
        ) from err
    return HFBlocks(AutoModelForCausalLM.from_pretrained(str(folder))).eval()
