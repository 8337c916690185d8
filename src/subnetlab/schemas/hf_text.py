"""Schema of ``dataset=hf_text`` (probe inputs for a Hugging Face target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


@register("dataset", "hf_text")
@dataclass
class HFTextSchema:
    """Probe token ids for ``target.hf_path``: windows of a shipped text (``text``) through the
    folder's tokenizer (``probe=text``; the folder needs one), or uniformly random token ids
    (``probe=random_tokens``); ``seq_len`` tokens each, ``eval_size`` of them."""

    name: str = "hf_text"
    hf_path: str | None = None  # the model folder whose tokenizer/vocabulary the probes use
    text: str = "shakespeare_sonnets"
    probe: Literal["text", "random_tokens"] = "text"
    seq_len: int = 32
    eval_size: int = 500

    def __post_init__(self) -> None:
        require(self.seq_len >= 1, "seq_len", self.seq_len, "an integer ≥ 1")
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")
