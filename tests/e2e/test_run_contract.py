"""A short run through the real CLI writes the whole run contract."""

import json
from pathlib import Path

import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.conftest import QUICK_TMS, run_cli


def _tb_tags(tb_dir: Path) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {"scalars": [], "images": [], "tensors": [], "plugins": []}
    for event_file in tb_dir.glob("events.out.tfevents.*"):
        acc = EventAccumulator(str(event_file), size_guidance={"images": 0, "scalars": 0})
        acc.Reload()
        found = acc.Tags()
        tags["scalars"] += found["scalars"]
        tags["images"] += found["images"]
        try:
            tags["plugins"] += list(acc.PluginTagToContent("hparams"))
        except KeyError:  # this event file holds no HPARAMS entry
            pass
    return tags


def test_cli_run_writes_the_run_contract(tmp_path: Path) -> None:
    proc = run_cli([*QUICK_TMS, f"paths.output_dir={tmp_path}"], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert "final metrics (ok)" in proc.stdout
    # before the run: one line of options and overrides, the run folder; not the whole config
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("method=spd model=tms; overrides: model.recipe.steps=300 ")
    assert lines[1] == f"run folder: {run_dir}" and lines[-1] == f"run folder: {run_dir}"
    assert "ci_fn_hidden" not in proc.stdout
    for name in ("config.yaml", "overrides.yaml", "hydra.yaml"):
        assert (run_dir / ".hydra" / name).is_file()
    assert (run_dir / "run.log").is_file()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["wall_time_s"] > 0
    for key in ("mmcs", "ml2r", "target_solution_error", "ci_l0/linear1", "ci_l0/linear2"):
        assert isinstance(metrics[key], float), key
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    figures = {p.stem for p in (run_dir / "figures").glob("*.png")}
    assert figures == {
        "ci_permuted_one_hot",
        "subcomponent_norms",
        "ci_histograms",
        "feature_trajectory",
    }
    assert json.loads((run_dir / "feature_trajectory.json").read_text())["module"] == "linear1"
    # TensorBoard names a run after its events' folder: method, model option and overrides
    (tb_run,) = (run_dir / "tb").iterdir()
    # how the run prints is left out; 213 characters: cut at 191, then a hash of the whole
    shown = [o for o in QUICK_TMS if not o.startswith("trainer.progress_bar")]
    assert tb_run.name.startswith(("spd_tms," + ",".join(shown))[:191])
    assert len(tb_run.name) == 200
    tags = _tb_tags(tb_run)
    assert "train/loss/total" in tags["scalars"] and "epoch" not in tags["scalars"]
    assert "hp/mmcs" in tags["scalars"] and "hp/ci_l0/linear1" in tags["scalars"]
    # a session, but no experiment summary: that would hide other methods' HPARAMS columns
    assert set(tags["plugins"]) == {"_hparams_/session_start_info", "_hparams_/session_end_info"}
    assert "figures/ci_permuted_one_hot" in tags["images"]
    assert metrics["model"] == "tms" and "target" not in metrics  # trained on the fly
    saved = yaml.safe_load((run_dir / ".hydra" / "config.yaml").read_text())
    assert saved["model_option"] == "tms" and saved["run_name"] == tb_run.name
    # the target was trained once and cached for the next run
    assert len(list((tmp_path / "targets").glob("*/target.pt"))) == 1
