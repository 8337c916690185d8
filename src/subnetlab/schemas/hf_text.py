"""Schema of ``dataset=hf_text`` (probe inputs for a Hugging Face target)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictInt, StrictStr

from subnetlab.schemas.base import schema
from subnetlab.schemas.registry import register


@register("dataset", "hf_text")
@schema
class HFTextSchema:
    """Probe token ids for ``target.hf_path``: windows of a shipped text (``text``) through the
    folder's tokenizer (``probe=text``; the folder needs one), or uniformly random token ids
    (``probe=random_tokens``); ``seq_len`` tokens each, ``eval_size`` of them."""

    name: StrictStr = Field("hf_text", description="the dataset option")
    hf_path: StrictStr | None = Field(
        None, description="the model folder whose tokenizer/vocabulary the probes use"
    )
    text: StrictStr = Field(
        "shakespeare_sonnets", description="a text shipped in subnetlab/data/texts"
    )
    probe: Literal["text", "random_tokens"] = Field(
        "text", description="text (tokenised by the folder's tokenizer) | random_tokens"
    )
    seq_len: StrictInt = Field(32, ge=1, description="tokens per probe input")
    eval_size: StrictInt = Field(500, ge=1, description="probe inputs")
    batch_size: StrictInt = Field(
        16, ge=1, description="windows per training step of a method that trains (SPD)"
    )
