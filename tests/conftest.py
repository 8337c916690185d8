"""Shared fixtures: compose the real Hydra config and run the real runner into temporary folders."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from subnetlab.cli.run_dir import register_resolvers
from subnetlab.schemas.store import store_schema_defaults

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "conf"

register_resolvers()
store_schema_defaults()


def run_cli(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """``python run.py ARGS`` in ``cwd``, this checkout's sources first on the path (also when
    another checkout is installed in the environment)."""
    path = os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, str(REPO / "run.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": path},
    )


def compose_raw(overrides: list[str], output_dir: Path | None = None) -> dict[str, Any]:
    """The resolved config dict the runner receives for ``python run.py <overrides>``."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    raw = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(raw, dict)
    raw.pop("hydra", None)
    if output_dir is not None:
        raw["paths"]["output_dir"] = str(output_dir)
        raw["paths"]["targets_dir"] = str(output_dir / "targets")
    return raw


@pytest.fixture
def composed(tmp_path: Path) -> Callable[[list[str]], dict[str, Any]]:
    return lambda overrides: compose_raw(overrides, tmp_path)


# a run that draws no progress bar and writes no logs (the tests read metrics and files)
QUIET_RUN = ["trainer.progress_bar=false", "logger=none"]


# a TMS run small enough for a unit-test budget: short target recipe, few SPD steps
QUICK_TMS = [
    "model.recipe.steps=300",
    "model.recipe.n_candidates=2",
    "dataset.batch_size=256",
    "dataset.eval_size=512",
    "method.steps=30",
    "method.eval_every=10",
    "trainer.progress_bar=false",
    "trainer.log_every_n_steps=5",
    "callbacks.checkpoint_every_n_steps=10",
]


def tiny_transformer(n_layers: int, train_steps: int) -> list[str]:
    """Overrides for a seconds-long transformer on (a + b) mod 7."""
    return [
        "dataset.p=7",
        "model.vocab_size=8",
        "model.d_model=16",
        "model.n_heads=2",
        "model.d_mlp=32",
        f"model.n_layers={n_layers}",
        f"model.recipe.steps={train_steps}",
        "model.recipe.batch_size=32",
    ]


@pytest.fixture(autouse=True)
def _single_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def tiny_gpt2(tmp_path: Path) -> Path:
    """A randomly initialised 3-block GPT-2 (vocabulary 50, width 16) saved with
    ``save_pretrained``, without a tokenizer; skips when the optional extra is missing."""
    transformers = pytest.importorskip(
        "transformers", reason="optional extra not installed: pip install 'subnetlab[transformers]'"
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=3, n_embd=16, n_head=2, vocab_size=50, n_positions=32)
    folder = tmp_path / "tiny_gpt2"
    transformers.GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_llama(tmp_path: Path) -> Path:
    """A randomly initialised 2-block Llama (vocabulary 40, width 16, nn.Linear projections)
    saved with ``save_pretrained``; skips when the optional extra is missing."""
    transformers = pytest.importorskip(
        "transformers", reason="optional extra not installed: pip install 'subnetlab[transformers]'"
    )
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=40,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=32,
    )
    folder = tmp_path / "tiny_llama"
    transformers.LlamaForCausalLM(config).save_pretrained(folder)
    return folder
