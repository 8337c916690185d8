"""Schema of ``dataset=repeated_tokens`` (the induction-head task)."""

from __future__ import annotations

from pydantic import Field, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, require, schema
from subnetlab.schemas.registry import register


@register("dataset", "repeated_tokens")
@schema
class RepeatedTokensSchema:
    """Sequences of distinct random tokens in which one segment of ``min_repeat`` …
    ``max_repeat`` tokens, placed anywhere, is repeated right after itself; the next token is
    predicted at every position, and inside the repeat only induction predicts it. Train and
    test sequences are drawn from ``data_seed`` alone."""

    name: StrictStr = Field("repeated_tokens", description="the dataset option")
    vocab_size: StrictInt = Field(64, ge=2, description="token ids 0 … vocab_size − 1")
    seq_len: StrictInt = Field(32, ge=3, description="tokens per input sequence")
    min_repeat: StrictInt = Field(8, ge=2, description="shortest repeated segment, tokens")
    max_repeat: StrictInt = Field(
        16, ge=2, description="longest repeated segment, tokens (≤ (seq_len + 1) / 2)"
    )
    n_train: StrictInt = Field(20_000, ge=1, description="training sequences")
    n_test: StrictInt = Field(1000, ge=1, description="held-out sequences")
    data_seed: StrictInt = Field(
        0, ge=0, le=MAX_SEED, description="seed of the sequences (independent of the run seed)"
    )
    batch_size: StrictInt = Field(
        128, ge=1, description="batch of the analysis methods (a target trains with model.recipe)"
    )
    eval_size: StrictInt = Field(
        1000, ge=1, description="size of the probe/evaluation set when a method asks for none"
    )

    @model_validator(mode="after")
    def _the_repeat_fits(self) -> RepeatedTokensSchema:
        longest = (self.seq_len + 1) // 2
        require(self.max_repeat <= longest, "max_repeat", self.max_repeat, f"≤ {longest}")
        require(
            self.min_repeat <= self.max_repeat,
            "min_repeat",
            self.min_repeat,
            f"≤ max_repeat={self.max_repeat}",
        )
        distinct = self.seq_len + 1 - self.min_repeat
        require(
            self.vocab_size >= distinct,
            "vocab_size",
            self.vocab_size,
            f"≥ seq_len + 1 − min_repeat = {distinct} (every token outside the repeat is new)",
        )
        return self
