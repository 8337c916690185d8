"""The model option and the run name come from Hydra's record of the command."""

from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

from subnetlab.cli.run_name import model_option, record_run_identity, run_name
from tests.conftest import CONF, compose_raw


def _as_run_py(overrides: list[str]) -> DictConfig:
    """The config of ``python run.py OVERRIDES`` with Hydra's record of it (``.hydra``)."""
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


def test_the_model_option_is_the_file_not_the_family() -> None:
    cfg = _as_run_py(["experiment=spd_tms_40_10", "seed=2"])
    assert cfg.model.name == "tms" and model_option(cfg.hydra) == "tms_40_10"


def test_the_run_name_is_method_model_and_what_the_command_changed() -> None:
    cfg = _as_run_py(
        [
            "model=tms_40_10",
            "seed=2",
            "method.lr=0.01",
            "resume=true",  # a resumed run keeps its name
            "paths.output_dir=/elsewhere",
            "print_config=full",
            "trainer.progress_bar=false",
        ]
    )
    assert run_name(cfg.hydra) == "spd_tms_40_10,seed=2,method.lr=0.01"


def test_unsafe_characters_end_in_a_hash_of_the_whole() -> None:
    name = run_name(_as_run_py(["method=gw", "target.hf_path=/models/gpt2"]).hydra)
    assert name.startswith("gw_tms,target.hf_path=-models-gpt2-")
    assert len(name) == len("gw_tms,target.hf_path=-models-gpt2-") + 8


def _job(cfg: DictConfig, run_dir: Path) -> tuple[DictConfig, DictConfig]:
    """The task config and Hydra config of a job whose folder is ``run_dir`` (Hydra saved the
    task config there, unresolved)."""
    hydra = cfg.hydra
    with open_dict(hydra):
        hydra.runtime.output_dir = str(run_dir)
    task = cfg.copy()
    with open_dict(task):
        del task["hydra"]
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "config.yaml").write_text("seed: 0\n")
    return task, hydra


def test_run_py_records_both_in_the_config_and_its_saved_copy(tmp_path: Path) -> None:
    task, hydra = _job(_as_run_py(["model=tms_40_10", "seed=4"]), tmp_path)
    record_run_identity(task, hydra, save=True)
    assert task.model_option == "tms_40_10" and task.run_name == "spd_tms_40_10,seed=4"
    saved = yaml.safe_load((tmp_path / ".hydra" / "config.yaml").read_text())
    assert saved["model_option"] == "tms_40_10" and saved["run_name"] == "spd_tms_40_10,seed=4"
    assert saved["task_name"] == "${method.name}_${model.name}"  # the rest as Hydra saved it


def test_a_run_name_the_command_gives_is_kept(tmp_path: Path) -> None:
    task, hydra = _job(_as_run_py(["run_name=baseline"]), tmp_path)
    record_run_identity(task, hydra, save=False)  # a DDP rank > 0: rank 0 writes the files
    assert task.run_name == "baseline" and task.model_option == "tms"
    assert (tmp_path / ".hydra" / "config.yaml").read_text() == "seed: 0\n"


def test_outside_run_py_both_are_null() -> None:
    raw = compose_raw(["model=tms_40_10"])
    assert raw["model_option"] is None and raw["run_name"] is None
