"""Every sweep and launcher preset composes, and says what it promises."""

import pytest
from hydra import compose, initialize_config_dir

from tests.conftest import CONF


def _hydra_cfg(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


@pytest.mark.parametrize("sweep", sorted(p.stem for p in (CONF / "sweep").glob("*.yaml")))
def test_each_sweep_preset_composes_without_setting_the_mode(sweep: str) -> None:
    cfg = _hydra_cfg([f"sweep={sweep}"])
    assert str(cfg.hydra.mode) in ("None", "RunMode.RUN")  # the group must not set the mode
    assert cfg.hydra.sweeper.params, "a sweep preset names what it sweeps"


def test_quick_study_grids_are_three_seeds_by_three_values() -> None:
    spd = _hydra_cfg(["experiment=spd_tms_5_2", "sweep=spd_robustness_quick"])
    apd = _hydra_cfg(["experiment=apd_tms_5_2", "sweep=apd_robustness_quick"])
    assert spd.method.steps == 11000 and spd.method.lr_schedule == "constant"
    assert spd.hydra.sweeper.params["method.coeffs.importance_minimality"].count(",") == 2
    assert apd.method.steps == 8000 and apd.hydra.sweeper.params["method.topk"].count(",") == 2
    assert spd.hydra.sweeper.params.seed == apd.hydra.sweeper.params.seed == "0,1,2"


def test_optuna_preset_is_an_in_memory_seeded_study() -> None:
    cfg = _hydra_cfg(["experiment=spd_tms_5_2", "sweep=spd_optuna"])
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("OptunaSweeper")
    assert sweeper.storage is None and sweeper.direction == "minimize"
    assert sweeper.sampler.seed == 0
    assert "interval" in sweeper.params["method.coeffs.importance_minimality"]


@pytest.mark.parametrize(
    ("launcher", "target", "knobs"),
    [
        ("parallel", "JoblibLauncher", {"n_jobs": -1}),
        ("slurm", "SlurmLauncher", {"timeout_min": 120, "gpus_per_node": 0, "partition": None}),
        ("local", "LocalLauncher", {"timeout_min": 120, "gpus_per_node": 0}),
    ],
)
def test_launcher_presets(launcher: str, target: str, knobs: dict) -> None:
    cfg = _hydra_cfg([f"hydra/launcher={launcher}"]).hydra.launcher
    assert cfg._target_.endswith(target)
    for key, value in knobs.items():
        assert cfg[key] == value, key
