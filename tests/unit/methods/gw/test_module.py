import json
from pathlib import Path

import numpy as np
import pytest
import torch

from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import save_target
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.methods.gw.module import (
    GWModule,
    candidate_layers,
    select_layers,
    submodule_names,
)
from subnetlab.methods.gw.planted_recovery import PLANTED_GW
from subnetlab.methods.gw.synthetic import PlantedGroupsNet
from subnetlab.models.tms import TMS
from subnetlab.models.transformer import Transformer
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.models import TMSSchema
from subnetlab.schemas.run import validate_run_config
from tests.conftest import QUIET_RUN, tiny_transformer

QUICK = [
    "method=gw",
    "model=tms",
    "model.n_features=8",
    "model.n_hidden=4",
    "model.n_hidden_layers=2",
    "dataset.feature_probability=0.3",
    "method.probe_size=64",
    *QUIET_RUN,
]


def _saved_target(folder: Path) -> str:
    """An untrained TMS 8-4 with two hidden layers: GW needs a target, not a trained one."""
    torch.manual_seed(0)
    path = folder / "target.pt"
    save_target(path, TMS(8, 4, 2), TMSSchema(n_features=8, n_hidden=4, n_hidden_layers=2), {})
    return f"target.ckpt={path}"


def test_gw_run_through_the_runner_writes_every_output(composed, tmp_path: Path) -> None:
    result = run(composed([*QUICK, _saved_target(tmp_path)]), tmp_path / "run")
    assert result.status == "ok", result.error
    run_dir = tmp_path / "run"
    groups = json.loads((run_dir / "groups.json").read_text())
    assert groups["layers"] == ["linear1", "hidden_layers.0", "hidden_layers.1", "linear2"]
    assert len(groups["clusters"]) == 4 and groups["n_groups"] == max(groups["clusters"]) + 1
    assert groups["segments"] == sorted(groups["segments"])
    gw = np.load(run_dir / "gw.npy")
    identity = np.load(run_dir / "identity_loss.npy")
    assert gw.shape == (4, 4) and np.allclose(gw, gw.T) and (gw <= identity + 1e-15).all()
    for name in ("linear_cka", "debiased_cka", "procrustes"):
        assert np.load(run_dir / f"{name}.npy").shape == (4, 4)
    assert (run_dir / "figures" / "layer_matrices.png").is_file()
    assert (run_dir / "figures" / "dendrogram.png").is_file()
    assert result.metrics["n_groups"] == groups["n_groups"]
    assert result.metrics["solver_time_s"] > 0.0
    assert result.metrics["n_layers"] == 4.0


def test_bad_gw_options_name_the_key(composed, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run(composed([*QUICK, "method.solver=sinkhorn", _saved_target(tmp_path)]), tmp_path / "run")
    assert info.value.key == "method.solver"
    with pytest.raises(ConfigError) as info:
        run(composed([*QUICK, "method.prune_ratio=0.5"]), tmp_path / "run2")
    assert info.value.key == "method.prune_ratio"


def test_a_target_without_two_hookable_layers_is_refused() -> None:
    with pytest.raises(TargetCapabilityError, match="at least two hookable layers"):
        GWModule.check_target(torch.nn.Linear(3, 2), None)
    GWModule.check_target(TMS(5, 2), TMSSchema())  # its two linear maps


def test_layer_patterns_matching_nothing_fail_before_the_target_is_trained(
    composed, tmp_path: Path
) -> None:
    overrides = [
        "method=gw",
        "model=transformer",
        *tiny_transformer(n_layers=3, train_steps=20),
        "method.modules=[nothing.*]",
        *QUIET_RUN,
    ]
    with pytest.raises(ConfigError) as info:
        run(composed(overrides), tmp_path / "run")
    assert info.value.key == "method.modules" and "blocks.0" in info.value.allowed
    assert not (tmp_path / "run").exists() and not (tmp_path / "targets").exists()


def test_layer_selection_for_plain_modules() -> None:
    net = PlantedGroupsNet([2, 2], d_in=4, width=8)
    names = candidate_layers(net)
    assert names[:2] == ["blocks", "blocks.0"]
    assert select_layers(names, ["blocks.*"]) == net.layer_names
    with pytest.raises(ConfigError, match="at least two"):
        select_layers(names, ["blocks.0"])


def test_layer_selection_reaches_a_residual_models_submodules() -> None:
    model = Transformer(vocab_size=7, n_ctx=3, d_model=8, n_heads=2, d_mlp=16, n_layers=3)
    submodules = submodule_names(model)
    blocks = candidate_layers(model)
    assert blocks == ["blocks.0", "blocks.1", "blocks.2"]
    assert select_layers(blocks, ["*"], submodules) == blocks  # block outputs first
    hidden = select_layers(blocks, ["blocks.*.mlp.1"], submodules)
    assert hidden == ["blocks.0.mlp.1", "blocks.1.mlp.1", "blocks.2.mlp.1"]
    with pytest.raises(ConfigError, match="or of the submodules"):
        select_layers(blocks, ["nothing.*"], submodules)


class _ProbeData:
    def eval_batch(self, size: int) -> torch.Tensor:
        return torch.randn(size, 16, generator=torch.Generator().manual_seed(0))


def test_module_on_a_planted_network_finds_its_groups(tmp_path: Path) -> None:
    from subnetlab.methods.base import RunContext
    from subnetlab.schemas.gw import GWSchema

    net = PlantedGroupsNet([3, 3], within_noise=0.05, seed=1)
    ctx = RunContext(
        seed=0,
        run_dir=tmp_path,
        model_cfg=None,
        dataset_cfg=None,
        target=net,
        datamodule=_ProbeData(),
    )  # type: ignore[arg-type]
    module = GWModule(GWSchema(modules=["blocks.*"], probe_size=48, baselines=False), ctx)
    module.run_analysis()
    assert module.final_metrics()["n_groups"] == 2.0
    module.save_artifacts(tmp_path)
    groups = json.loads((tmp_path / "groups.json").read_text())
    assert groups["clusters"] == [0, 0, 0, 1, 1, 1] and groups["segments"] == [0, 0, 0, 1, 1, 1]


def test_a_planted_families_target_is_scored_against_its_families(composed, tmp_path: Path) -> None:
    overrides = ["method=gw", "model=planted_families", "model.n_families=2", *QUIET_RUN]
    result = run(composed([*overrides, "method.probe_size=100", "seed=3"]), tmp_path)
    assert result.status == "ok", result.error
    m = result.metrics
    assert m["ari"] == 1.0 and m["n_groups"] == m["planted_groups"] == 2.0
    assert m["gw_between_min"] > m["gw_within_max"] > 0.0
    planted = json.loads((tmp_path / "planted.json").read_text())
    assert planted["families"] == [0] * 4 + [1] * 4 and planted["spacing"] == [0.2]
    assert planted["clusters"] == planted["families"]
    assert json.loads((tmp_path / "target.json").read_text())["source"] == "config"
    assert json.loads((tmp_path / "metrics.json").read_text())["model"] == "planted_families"


def test_the_planted_experiment_reports_the_ari_and_both_numbers_of_groups(
    composed, tmp_path: Path
) -> None:
    result = run(composed(["experiment=gw_planted", "model.n_families=4", *QUIET_RUN]), tmp_path)
    assert result.status == "ok", result.error
    m = result.metrics
    assert m["ari"] == 1.0 and m["n_groups"] == m["planted_groups"] == 4.0
    assert result.objective == 1.0  # optimized_metric: ari
    planted = json.loads((tmp_path / "planted.json").read_text())
    assert planted["spacing"] == [0.2, 1.0, 0.2] and planted["family_sizes"] == [4, 4, 4, 4]
    assert {p.stem for p in (tmp_path / "figures").glob("*.png")} == {
        "layer_matrices",
        "dendrogram",
    }


def test_the_planted_experiment_uses_the_gw_settings_of_planted_family_recovery(composed) -> None:
    cfg = validate_run_config(composed(["experiment=gw_planted"]))
    assert cfg.method == PLANTED_GW and cfg.model.name == "planted_families"
    assert cfg.dataset.size == PLANTED_GW.probe_size  # the probes: one draw of that size
    assert cfg.model.seed == cfg.seed


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("model.family_sizes=[4,4]", "model.family_sizes"),
        ("model.n_families=0", "model.n_families"),
        ("model.near_spacing=0", "model.near_spacing"),
        ("model.spacing=[0.5,-1.0]", "model.spacing[1]"),
    ],
)
def test_planted_settings_are_checked_before_any_work(
    composed, tmp_path: Path, override: str, key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        run(composed(["experiment=gw_planted", override, *QUIET_RUN]), tmp_path / "run")
    assert info.value.key == key
    assert not (tmp_path / "run").exists()


def test_training_a_planted_families_net_is_refused_before_any_work(
    composed, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="built whole from its config") as info:
        run(composed(["method=train", "model=planted_families", *QUIET_RUN]), tmp_path / "run")
    assert info.value.key == "model" and "\n" not in str(info.value)
    # the run folder records the refusal, and nothing else
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["metrics.json"]
    record = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert record["status"] == "failed" and record["model"] == "planted_families"
