"""The Hugging Face reader, on a tiny randomly initialised GPT-2 the test saves itself."""

from pathlib import Path

import pytest
import torch

from subnetlab.data.hf_text import hf_probe_tokens
from subnetlab.methods.gw.representations import collect_representations
from subnetlab.models.hf_causal_lm import load_hf_model, transformer_blocks


def test_reader_finds_the_blocks_and_hooks_their_outputs(tiny_gpt2: Path) -> None:
    model = load_hf_model(str(tiny_gpt2))
    assert transformer_blocks(model.hf) == "transformer.h"
    assert model.block_names() == ["hf.transformer.h.0", "hf.transformer.h.1", "hf.transformer.h.2"]
    tokens = hf_probe_tokens(str(tiny_gpt2), "", "random_tokens", 12, 8, 50)
    assert tokens.shape == (12, 8) and int(tokens.max()) < 50
    assert model(tokens).shape == (12, 8, 50)
    reps = collect_representations(model, model.block_names(), tokens, pooling="last")
    assert all(r.shape == (12, 16) for r in reps.values())
    # the hooked block output is the residual stream the next block reads: the library's own
    # hidden states (index i + 1 is the output of block i; the last one is after the final norm)
    with torch.no_grad():
        hidden = model.hf(input_ids=tokens, output_hidden_states=True).hidden_states
    for i in range(2):
        torch.testing.assert_close(reps[f"hf.transformer.h.{i}"].float(), hidden[i + 1][:, -1])


def test_a_folder_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="config.json missing"):
        load_hf_model(str(tmp_path))


def test_a_model_without_a_stack_of_blocks_is_refused() -> None:
    with pytest.raises(ValueError, match="no ModuleList of identical blocks"):
        transformer_blocks(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()))
