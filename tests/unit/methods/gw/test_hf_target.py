"""``method=gw`` on a local Hugging Face folder (``target.hf_path``), through the runner."""

from pathlib import Path

import numpy as np
import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import TargetError
from subnetlab.schemas.base import ConfigError
from tests.conftest import QUIET_RUN

OVERRIDES = [
    "experiment=gw_hf",
    "dataset.probe=random_tokens",
    "dataset.seq_len=8",
    "method.probe_size=40",
    *QUIET_RUN,
]


def test_gw_run_on_a_hugging_face_folder(composed, tmp_path: Path, tiny_gpt2: Path) -> None:
    result = run(composed([*OVERRIDES, f"target.hf_path={tiny_gpt2}"]), tmp_path / "run")
    assert result.status == "ok", result.error
    assert result.metrics["n_layers"] == 3.0 and result.metrics["n_groups"] >= 1.0
    assert np.load(tmp_path / "run" / "gw.npy").shape == (3, 3)
    assert any("Hugging Face folder" in note for note in result.notes)


def test_layer_patterns_are_checked_on_the_loaded_model(
    composed, tmp_path: Path, tiny_gpt2: Path
) -> None:
    overrides = [*OVERRIDES, f"target.hf_path={tiny_gpt2}", "method.modules=[nothing.*]"]
    with pytest.raises(ConfigError) as info:
        run(composed(overrides), tmp_path / "run")
    assert info.value.key == "method.modules" and "hf.transformer.h.0" in info.value.allowed


def test_target_sources_are_exclusive_and_checked(composed, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run(composed([*OVERRIDES, "target.hf_path=/x", "target.ckpt=/y"]), tmp_path / "a")
    assert info.value.key == "target.hf_path"
    with pytest.raises(TargetError, match="config.json missing"):
        run(composed([*OVERRIDES, f"target.hf_path={tmp_path}"]), tmp_path / "b")
