"""Probe inputs for a Hugging Face target (``dataset=hf_text``)."""

from pathlib import Path

import pytest
import torch

from subnetlab.data.hf_text import HFTextDataModule, hf_probe_tokens, hf_vocab_size
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.hf_text import HFTextSchema


def test_random_probe_tokens_are_fixed_and_below_the_vocabulary(tiny_gpt2: Path) -> None:
    assert hf_vocab_size(str(tiny_gpt2)) == 50
    module = HFTextDataModule(
        HFTextSchema(hf_path=str(tiny_gpt2), probe="random_tokens", seq_len=6), 0, None
    )
    batch = module.eval_batch(20)
    assert batch.shape == (20, 6) and batch.dtype == torch.long
    assert 0 <= int(batch.min()) and int(batch.max()) < 50
    assert torch.equal(batch, module.eval_batch(20))  # the same probe set every call
    assert module.eval_batch().shape == (500, 6)  # eval_size


def test_text_probes_need_the_folders_tokenizer(tiny_gpt2: Path) -> None:
    with pytest.raises(ValueError, match="no loadable tokenizer"):
        hf_probe_tokens(str(tiny_gpt2), "some text", "text", 4, 8, 50)


def test_bad_settings_name_the_key(tmp_path: Path, tiny_gpt2: Path) -> None:
    with pytest.raises(ConfigError) as info:
        HFTextDataModule(HFTextSchema(hf_path=None), 0, None)
    assert info.value.key == "dataset.hf_path"
    with pytest.raises(ConfigError) as info:
        HFTextDataModule(HFTextSchema(hf_path=str(tiny_gpt2), text="nope"), 0, None)
    assert info.value.key == "dataset.text"
    with pytest.raises(ValueError, match="config.json missing"):
        hf_vocab_size(str(tmp_path))
