"""Reading a local Hugging Face causal language model folder (optional ``transformers`` extra) as
a GW target whose layers are its decoder blocks."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

# files of which at least one makes a folder's tokenizer loadable
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")


def transformer_blocks(model: nn.Module) -> str:
    """Dotted name of the model's stack of decoder blocks: the ``nn.ModuleList`` with the most
    children of one class (GPT-2 ``transformer.h``, Llama ``model.layers``, ...)."""
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
        self._n_blocks = len(self.get_submodule(self.stack))  # type: ignore[arg-type]

    def block_names(self) -> list[str]:
        return [f"{self.stack}.{i}" for i in range(self._n_blocks)]

    @property
    def vocab_size(self) -> int:
        return int(self.hf.config.vocab_size)  # type: ignore[union-attr]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, T) long → logits (B, T, vocab)."""
        return self.hf(input_ids=tokens).logits  # type: ignore[operator]


def load_hf_model(path: str) -> HFBlocks:
    """The causal LM saved in the local folder ``path`` (``save_pretrained``), in eval mode.

    Needs the optional ``transformers`` package (``pip install subnetlab[transformers]``).
    """
    folder = Path(path).expanduser()
    if not (folder / "config.json").is_file():
        raise ValueError(
            f"method.hf.path={path}: no Hugging Face model folder there (config.json missing)"
        )
    try:
        from transformers import AutoModelForCausalLM
    except ImportError as err:
        raise ImportError(
            "reading a Hugging Face model needs the optional extra: "
            "pip install 'subnetlab[transformers]'"
        ) from err
    return HFBlocks(AutoModelForCausalLM.from_pretrained(str(folder))).eval()


def hf_probe_tokens(
    path: str, text: str, how: str, n: int, seq_len: int, vocab_size: int, seed: int = 0
) -> torch.Tensor:
    """(n, seq_len) probe token ids: windows of ``text`` tokenised by the folder's tokenizer
    (``how='text'``, consecutive windows, repeated when the text is short) or uniformly random
    ids below ``vocab_size`` (``how='random_tokens'``)."""
    if how == "random_tokens":
        gen = torch.Generator().manual_seed(seed)
        return torch.randint(vocab_size, (n, seq_len), generator=gen)
    if how != "text":
        raise ValueError(f"probe={how!r} is not supported; allowed: 'text', 'random_tokens'")
    folder = Path(path).expanduser()
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise ValueError(
            f"method.hf.path={path} has no loadable tokenizer (none of {list(TOKENIZER_FILES)}); "
            "use method.hf.probe=random_tokens"
        )
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    ids = torch.tensor(tokenizer(text)["input_ids"], dtype=torch.long)
    if ids.numel() < seq_len:
        raise ValueError(f"the probe text has {ids.numel()} tokens, fewer than seq_len={seq_len}")
    starts = torch.arange(n) * max(1, seq_len // 2) % (ids.numel() - seq_len + 1)
    return torch.stack([ids[s : s + seq_len] for s in starts.tolist()])
