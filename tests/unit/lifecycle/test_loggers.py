"""The run's logger: TensorBoard runs named after the run, an HPARAMS table across methods, no
epoch series, figures once per step; W&B offline with the same content; a clear error without
the W&B package."""

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pytest
from tensorboard import context as tb_context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import backend_context

from subnetlab.analysis.figure_files import png_pixels, render_png
from subnetlab.lifecycle.loggers import build_run_logger, tensorboard_run_dir
from subnetlab.lifecycle.runner import run
from subnetlab.schemas.base import ConfigError, asdict_flat
from subnetlab.schemas.run import validate_run_config
from tests.conftest import compose_raw

TINY_TRAIN = [
    "method=train",
    "model=mlp_digits",
    "model.recipe.steps=40",
    "model.recipe.batch_size=32",
    "trainer.log_every_n_steps=10",
    "trainer.progress_bar=false",
]


def _hparams_table(logdir: Path) -> tuple[set[str], set[str]]:
    """The metric and hyperparameter columns TensorBoard's HPARAMS dashboard shows for
    ``--logdir logdir`` (its own backend, as the dashboard asks it)."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    context = backend_context.Context(
        base_plugin.TBContext(logdir=str(logdir), data_provider=provider, multiplexer=multiplexer)
    )
    request = tb_context.RequestContext()
    experiment = context.experiment_from_metadata(
        request,
        "",
        True,
        context.hparams_metadata(request, ""),
        context.hparams_from_data_provider(request, "", limit=None),
    )
    metrics = {info.name.tag for info in experiment.metric_infos}
    return metrics, {info.name for info in experiment.hparam_infos}


def _finished_run(folder: Path, overrides: list[str], finals: dict[str, float]) -> None:
    cfg = validate_run_config(compose_raw(overrides, folder))
    logger = build_run_logger(cfg, folder, f"{cfg.method.name}_{cfg.model.name}", None)
    params = asdict_flat(cfg)
    logger.start(params)
    assert logger.lightning is not None
    logger.lightning.log_metrics({"train/loss/total": 1.0, "epoch": 0}, step=5)
    logger.finish_run(params, finals, 10)
    logger.close()


def test_hparams_shows_every_methods_final_metrics(tmp_path: Path) -> None:
    _finished_run(tmp_path / "spd", ["method=spd"], {"mmcs": 0.99, "ml2r": 1.0})
    _finished_run(
        tmp_path / "bimt", ["experiment=bimt_independence"], {"test_loss": 0.1, "total_edges": 520}
    )
    metrics, hparams = _hparams_table(tmp_path)
    assert {"hp/mmcs", "hp/ml2r", "hp/test_loss", "hp/total_edges"} <= metrics
    assert "epoch" not in metrics  # Lightning's step-less epoch series is not written
    assert {"method/coeffs/faithfulness", "method/swap_every", "seed"} <= hparams


def test_a_training_run_logs_its_figures_once_at_the_step_it_reached(tmp_path: Path) -> None:
    raw = compose_raw([*TINY_TRAIN, "trainer.max_steps=30"], tmp_path)
    result = run(raw, tmp_path / "run")
    assert result.status == "ok", result.error
    tb_run = tensorboard_run_dir(tmp_path / "run")
    assert tb_run.name == "train_mlp"  # without run.py: <method>_<model family>
    events = EventAccumulator(str(tb_run), size_guidance={"images": 0, "scalars": 0}).Reload()
    tags = events.Tags()
    assert tags["images"] == ["figures/training_loss"]
    # capped at 30 of the recipe's 40 steps: the final step is 30
    assert [event.step for event in events.Images("figures/training_loss")] == [30]
    # Lightning logs a step's scalars at the count of steps before it
    assert [event.step for event in events.Scalars("train/loss/total")] == [9, 19, 29]
    assert [event.step for event in events.Scalars("hp/loss")] == [30]
    assert "epoch" not in tags["scalars"]


def test_csv_has_no_epoch_column(tmp_path: Path) -> None:
    result = run(compose_raw([*TINY_TRAIN, "logger=csv"], tmp_path), tmp_path / "run")
    assert result.status == "ok", result.error
    header = (tmp_path / "run" / "csv" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert "train/loss/total" in header and "epoch" not in header
    assert not (tmp_path / "run" / "tb").exists()


def _wandb_records(run_file: Path) -> list[Any]:
    """The records of a W&B run file: a 7-byte header (``:W&B``, magic, version), then LevelDB
    log blocks of 32 KiB whose records (4-byte CRC, 2-byte length, 1-byte type: 1 full, 2 first,
    3 middle, 4 last) hold serialised ``wandb_internal_pb2.Record`` messages."""
    from wandb.proto.wandb_internal_pb2 import Record

    data = run_file.read_bytes()
    assert data[:4] == b":W&B"
    block, header = 32768, 7
    position, pending, records = 7, b"", []
    while position + header <= len(data):
        left = block - position % block
        if left < header:  # a block's tail too short for a header is padding
            position += left
            continue
        length = int.from_bytes(data[position + 4 : position + 6], "little")
        kind = data[position + header - 1]
        if kind == 0:
            break
        pending += data[position + header : position + header + length]
        position += header + length
        if kind in (1, 4):
            record = Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def _item_key(item: Any) -> str:
    """A config or history item's key (a key with ``/`` may be stored as its parts)."""
    return str(item.key or "/".join(item.nested_key))


def test_wandb_offline_records_scalars_config_finals_and_figures(tmp_path: Path) -> None:
    pytest.importorskip(
        "wandb", reason="optional extra not installed: pip install 'subnetlab[wandb]'"
    )
    overrides = [*TINY_TRAIN, "logger=wandb", "logger.mode=offline", "tags=[tiny]"]
    result = run(compose_raw(overrides, tmp_path), tmp_path / "run")
    assert result.status == "ok", result.error
    (run_file,) = (tmp_path / "run" / "wandb").glob("offline-run-*/run-*.wandb")
    records = _wandb_records(run_file)
    kinds = Counter(record.WhichOneof("record_type") for record in records)
    assert kinds["run"] >= 1 and kinds["history"] >= 4
    (header,) = [r.run for r in records if r.WhichOneof("record_type") == "run"][:1]
    assert header.display_name == "train_mlp" and header.project == "subnetlab"
    assert list(header.tags) == ["tiny"]
    config = {
        _item_key(item): json.loads(item.value_json)
        for record in records
        if record.WhichOneof("record_type") == "config"
        for item in record.config.update
    }
    assert config["method/name"] == "train" and config["model/recipe/steps"] == 40
    logged = {
        _item_key(item)
        for record in records
        if record.WhichOneof("record_type") == "history"
        for item in record.history.item
    }
    assert {"train/loss/total", "hp/loss", "hp/test_accuracy"} <= logged
    assert "figures/training_loss/filenames" in logged
    assert "epoch" not in logged
    final = next(
        json.loads(item.value_json)
        for record in records
        if record.WhichOneof("record_type") == "history"
        for item in record.history.item
        if _item_key(item) == "hp/loss"
    )
    assert final == pytest.approx(result.metrics["loss"])
    images = list((run_file.parent / "files" / "media" / "images" / "figures").glob("*.png"))
    assert [p.name.startswith("training_loss_") for p in images] == [True]


def test_wandb_without_its_package_is_one_line_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wandb", None)  # `import wandb` now fails
    raw = compose_raw([*TINY_TRAIN, "logger=wandb"], tmp_path)
    with pytest.raises(ConfigError) as info:
        run(raw, tmp_path / "run")
    assert str(info.value) == (
        "invalid config value logger='wandb': allowed tensorboard, csv or none (logger=wandb "
        "needs the wandb package: pip install 'subnetlab[wandb]')"
    )
    assert not (tmp_path / "run").exists()


def test_a_figure_is_one_image_per_step(tmp_path: Path) -> None:
    cfg = validate_run_config(compose_raw(["method=spd"], tmp_path))
    logger = build_run_logger(cfg, tmp_path, "spd_tms", None)
    figure = plt.figure()
    pixels = png_pixels(render_png(figure))  # what save_figures hands on: the PNG's pixels
    plt.close(figure)
    logger.log_figure("picture", pixels, 3)
    logger.log_figure("picture", pixels, 7)
    logger.close()
    events = EventAccumulator(str(tmp_path / "tb" / "spd_tms"), size_guidance={"images": 0})
    events.Reload()
    assert events.Tags()["images"] == ["figures/picture"]
    assert [event.step for event in events.Images("figures/picture")] == [3, 7]
