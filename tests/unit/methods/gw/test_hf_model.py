"""The Hugging Face reader, on a tiny randomly initialised GPT-2 the test saves itself."""

from pathlib import Path

import numpy as np
import pytest
import torch

from subnetlab.lifecycle.runner import run

transformers = pytest.importorskip(
    "transformers", reason="optional extra not installed: pip install 'subnetlab[transformers]'"
)

from subnetlab.methods.gw.hf_model import (  # noqa: E402
    hf_probe_tokens,
    load_hf_model,
    transformer_blocks,
)
from subnetlab.methods.gw.representations import collect_representations  # noqa: E402
from tests.conftest import QUIET_RUN  # noqa: E402


@pytest.fixture
def tiny_gpt2(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=3, n_embd=16, n_head=2, vocab_size=50, n_positions=32)
    folder = tmp_path / "tiny_gpt2"
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def test_reader_finds_the_blocks_and_hooks_their_outputs(tiny_gpt2: Path) -> None:
    model = load_hf_model(str(tiny_gpt2))
    assert transformer_blocks(model.hf) == "transformer.h"
    assert model.block_names() == ["hf.transformer.h.0", "hf.transformer.h.1", "hf.transformer.h.2"]
    tokens = hf_probe_tokens(str(tiny_gpt2), "", "random_tokens", 12, 8, model.vocab_size)
    assert tokens.shape == (12, 8) and int(tokens.max()) < 50
    reps = collect_representations(model, model.block_names(), tokens, pooling="last")
    assert all(r.shape == (12, 16) for r in reps.values())
    # the hooked block output is the residual stream the next block reads: the library's own
    # hidden states (index i + 1 is the output of block i; the last one is after the final norm)
    with torch.no_grad():
        hidden = model.hf(input_ids=tokens, output_hidden_states=True).hidden_states
    for i in range(2):
        torch.testing.assert_close(reps[f"hf.transformer.h.{i}"].float(), hidden[i + 1][:, -1])


def test_reader_errors_are_clear(tmp_path: Path, tiny_gpt2: Path) -> None:
    with pytest.raises(ValueError, match="config.json missing"):
        load_hf_model(str(tmp_path))
    with pytest.raises(ValueError, match="no loadable tokenizer"):
        hf_probe_tokens(str(tiny_gpt2), "some text", "text", 4, 8, 50)


def test_gw_run_on_a_hugging_face_folder(composed, tmp_path: Path, tiny_gpt2: Path) -> None:
    overrides = [
        "experiment=gw_hf",
        f"method.hf.path={tiny_gpt2}",
        "method.hf.probe=random_tokens",
        "method.hf.seq_len=8",
        "method.probe_size=40",
        *QUIET_RUN,
    ]
    result = run(composed(overrides), tmp_path / "run")
    assert result.status == "ok", result.error
    assert result.metrics["n_layers"] == 3.0 and result.metrics["n_groups"] >= 1.0
    assert np.load(tmp_path / "run" / "gw.npy").shape == (3, 3)
