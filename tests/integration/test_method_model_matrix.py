"""Every method × model pair either runs a few steps or is a ConfigError before any work (no
target trained, no checkpoint written): a mismatch never costs a training first."""

from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.schemas.base import ConfigError
from tests.conftest import QUIET_RUN, compose_raw

MODELS = ["tms", "resid_mlp1", "mlp", "mlp_digits", "transformer", "convnet_digits", "attn_only"]
# a few steps each (debug=fast caps every training at 20 steps, the targets' too) and small probes
METHODS = {
    "spd": ["method.eval_every=1000"],
    "apd": ["method.eval_every=1000"],
    "bimt": [],
    "circuit": ["method.algorithm=magnitude", "method.probe_size=8", "method.tau_sweep=[]"],
    "gw": ["method.probe_size=16", "method.baselines=false"],
    "train": [],
    "finetune": [],
}
RUNS = {
    ("spd", "tms"),
    # SPD decomposes any network's Linear / Embedding modules (digits images, token sequences)
    ("spd", "mlp_digits"),
    ("spd", "transformer"),
    ("spd", "convnet_digits"),
    ("spd", "attn_only"),
    ("gw", "attn_only"),
    ("train", "attn_only"),
    ("finetune", "attn_only"),
    ("apd", "tms"),
    ("circuit", "mlp_digits"),
    ("gw", "tms"),
    ("gw", "resid_mlp1"),
    ("gw", "mlp_digits"),
    ("gw", "transformer"),
    ("gw", "convnet_digits"),
    ("train", "tms"),
    ("train", "resid_mlp1"),
    ("train", "mlp_digits"),
    ("train", "transformer"),
    ("train", "convnet_digits"),
    ("finetune", "transformer"),
}


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("method", list(METHODS))
def test_a_pair_runs_or_is_refused_before_any_work(method: str, model: str, tmp_path: Path) -> None:
    overrides = [f"method={method}", f"model={model}", "debug=fast", *QUIET_RUN, *METHODS[method]]
    raw = compose_raw(overrides, tmp_path)
    if (method, model) in RUNS:
        result = run(raw, tmp_path / "run")
        assert result.status == "ok", result.error
        return
    with pytest.raises(ConfigError) as refused:
        run(raw, tmp_path / "run")
    assert "\n" not in str(refused.value)
    assert not (tmp_path / "targets").exists()  # no target was trained for it
    assert not (tmp_path / "run" / "checkpoints").exists()


@pytest.mark.parametrize("method", ["spd", "apd"])
def test_too_few_subcomponents_for_the_target_is_refused_before_training(
    method: str, tmp_path: Path
) -> None:
    # the README's train-then-decompose case: TMS 40-10's identity pattern needs C ≥ 40
    raw = compose_raw([f"method={method}", "model=tms_40_10", *QUIET_RUN], tmp_path)
    key = "method.modules" if method == "spd" else "method.C"
    with pytest.raises(ConfigError, match=rf"invalid config value {key}=.*≥ 40.*linear1"):
        run(raw, tmp_path / "run")
    assert not (tmp_path / "targets").exists()
