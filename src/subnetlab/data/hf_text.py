"""Probe inputs for a Hugging Face target (``dataset=hf_text``): windows of a shipped text
tokenised by the model folder's own tokenizer, or uniformly random token ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning as L
import torch

from subnetlab.data.char_text import load_text
from subnetlab.data.step_batches import StepBatches, batches_from_step
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.datasets import shipped_texts

#: the dataset option of probe and training windows for a Hugging Face target
HF_TEXT_DATASET = "hf_text"
# files of which at least one makes a folder's tokenizer loadable
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")


def hf_vocab_size(path: str) -> int:
    """The ``vocab_size`` of the model config in the local folder ``path``.

    Raises:
        ValueError: no ``config.json`` there, or one without an integer ``vocab_size``.
    """
    config = Path(path).expanduser() / "config.json"
    if not config.is_file():
        raise ValueError(f"{path} is not a Hugging Face model folder (config.json missing)")
    size = json.loads(config.read_text()).get("vocab_size")
    if not isinstance(size, int):
        raise ValueError(f"{config} has no integer vocab_size")
    return size


def has_tokenizer(path: str) -> bool:
    """Whether the folder ``path`` holds a loadable tokenizer (one of ``TOKENIZER_FILES``)."""
    folder = Path(path).expanduser()
    return any((folder / name).is_file() for name in TOKENIZER_FILES)


def load_tokenizer(path: str) -> Any:
    """The tokenizer in the folder ``path``.

    Raises:
        ValueError: the folder has none.
    """
    if not has_tokenizer(path):
        raise ValueError(
            f"{path} has no loadable tokenizer (none of {list(TOKENIZER_FILES)}); "
            "use dataset.probe=random_tokens"
        )
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(Path(path).expanduser()))


def hf_text_tokens(path: str, text: str) -> torch.Tensor:
    """``text`` tokenised by the tokenizer in the folder ``path``, (n_tokens,) long.

    Raises:
        ValueError: the folder has no tokenizer.
    """
    return torch.tensor(load_tokenizer(path)(text)["input_ids"], dtype=torch.long)


def hf_probe_tokens(
    path: str, text: str, how: str, n: int, seq_len: int, vocab_size: int, seed: int = 0
) -> torch.Tensor:
    """(n, seq_len) probe token ids: windows of ``text`` tokenised by the tokenizer in the folder
    ``path`` (``how='text'``; window starts ``seq_len // 2`` tokens apart, wrapping round when the
    text is short) or uniformly random ids below ``vocab_size`` (``how='random_tokens'``).

    Raises:
        ValueError: an unknown ``how``, a folder without a tokenizer, or a text shorter than
            ``seq_len`` tokens.
    """
    if how == "random_tokens":
        gen = torch.Generator().manual_seed(seed)
        return torch.randint(vocab_size, (n, seq_len), generator=gen)
    if how != "text":
        raise ValueError(f"probe={how!r} is not supported; allowed: 'text', 'random_tokens'")
    ids = hf_text_tokens(path, text)
    if ids.numel() < seq_len:
        raise ValueError(f"the probe text has {ids.numel()} tokens, fewer than seq_len={seq_len}")
    starts = torch.arange(n) * max(1, seq_len // 2) % (ids.numel() - seq_len + 1)
    return torch.stack([ids[s : s + seq_len] for s in starts.tolist()])


class HFTextDataModule(L.LightningDataModule):
    """Serves ``eval_batch(size)``: a fixed (size, seq_len) batch of probe token ids for the
    Hugging Face model in ``cfg.hf_path`` (``target.hf_path`` by default)."""

    def __init__(self, cfg: Any, seed: int, model_cfg: Any) -> None:
        super().__init__()
        if cfg.hf_path is None:
            raise ConfigError(
                "dataset.hf_path", None, "the Hugging Face model folder (set target.hf_path)"
            )
        if cfg.text not in shipped_texts():
            raise ConfigError("dataset.text", cfg.text, f"one of {shipped_texts()}")
        self.cfg, self.seed = cfg, seed
        self.vocab_size = hf_vocab_size(cfg.hf_path)
        self._text_ids: torch.Tensor | None = None
        self._tokenizer: Any = None

    def token_text(self, token_id: int) -> str:
        """A token id's text through the folder's tokenizer (its number with
        ``probe=random_tokens`` or without a tokenizer)."""
        if self._tokenizer is None:
            if self.cfg.probe != "text" or not has_tokenizer(self.cfg.hf_path):
                return str(token_id)
            self._tokenizer = load_tokenizer(self.cfg.hf_path)
        return str(self._tokenizer.decode([token_id]))

    def sample(self, batch_size: int, generator: torch.Generator) -> torch.Tensor:
        """(batch_size, seq_len) training windows: windows of the text at uniformly drawn
        starts (``probe=text``) or uniformly random token ids (``probe=random_tokens``)."""
        cfg = self.cfg
        if cfg.probe == "random_tokens":
            return torch.randint(self.vocab_size, (batch_size, cfg.seq_len), generator=generator)
        if self._text_ids is None:
            self._text_ids = hf_text_tokens(cfg.hf_path, load_text(cfg.text))
            if self._text_ids.numel() < cfg.seq_len:
                raise ValueError(
                    f"the text has {self._text_ids.numel()} tokens, fewer than "
                    f"seq_len={cfg.seq_len}"
                )
        ids = self._text_ids
        starts = torch.randint(ids.numel() - cfg.seq_len + 1, (batch_size,), generator=generator)
        return torch.stack([ids[s : s + cfg.seq_len] for s in starts.tolist()])

    def train_dataloader(self) -> StepBatches:
        """Endless training windows for a method that trains on inputs alone (SPD); batch t
        depends only on (seed, t)."""
        return batches_from_step(self.sample, self.cfg.batch_size, self.seed, self.trainer)

    def eval_batch(self, size: int | None = None) -> torch.Tensor:
        """(size or ``eval_size``, seq_len) long token ids, the same for every call."""
        cfg = self.cfg
        text = load_text(cfg.text) if cfg.probe == "text" else ""
        n = size or cfg.eval_size
        return hf_probe_tokens(cfg.hf_path, text, cfg.probe, n, cfg.seq_len, self.vocab_size)
