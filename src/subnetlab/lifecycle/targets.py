"""Targets of the analysis methods: load ``target.ckpt=PATH`` or train one with the model's recipe
by a ``method=train`` run cached under ``outputs/targets/<hash of the target config>/``."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from subnetlab.methods.train.module import TrainModule
from subnetlab.registry import build_model
from subnetlab.schemas.run import RunConfig

FORMAT = "subnetlab-target/1"
TARGET_FILE = "target.pt"
# dataset fields that only concern the analysis method's batches, not the target's training
_DATA_KEYS_NOT_HASHED = ("batch_size", "eval_size")


class TargetError(ValueError):
    """A target checkpoint is missing, unreadable or does not match the configured model."""


class TargetTrainingFailed(RuntimeError):
    """The ``method=train`` run that trains a target on the fly did not finish."""


#: (config of a ``method=train`` run, its folder) -> the run's metrics record (``status`` and the
#: final metrics); the runner's ``run_to_completion`` (lifecycle may not import the runner here)
TrainRun = Callable[[dict[str, Any], Path], dict[str, Any]]


def _architecture(model_cfg_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in model_cfg_dict.items() if k != "recipe"}


def save_target(path: Path, model: nn.Module, model_cfg: Any, report: dict[str, float]) -> None:
    """Write ``target.pt`` atomically (weights-only loadable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "model_cfg": asdict(model_cfg),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "report": report,
    }
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # parallel jobs may write the same one
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_target(path_str: str, model_cfg: Any) -> nn.Module:
    """Load a target from a run folder (its ``target.pt``) or a ``target.pt`` file."""
    path = Path(path_str).expanduser()
    if path.is_dir():
        path = path / TARGET_FILE
    if not path.is_file():
        raise TargetError(
            f"target.ckpt={path_str}: no such file ({path}); give a train/bimt run folder "
            f"(it holds {TARGET_FILE}) or the path of a {TARGET_FILE} file"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unreadable file (garbage, truncated, foreign pickle) is one case
        raise TargetError(
            f"target.ckpt={path_str}: {path} is not a readable subnetlab target "
            f"({err.__class__.__name__}: "
            f"{str(err).splitlines()[0] if str(err) else 'corrupt file'})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise TargetError(f"target.ckpt={path_str}: {path} is not a {FORMAT} checkpoint")
    saved = _architecture(payload["model_cfg"])
    wanted = _architecture(asdict(model_cfg))
    if saved != wanted:
        diffs = [
            f"{k}: checkpoint {saved.get(k)!r} vs config {wanted.get(k)!r}"
            for k in sorted(set(saved) | set(wanted))
            if saved.get(k) != wanted.get(k)
        ]
        raise TargetError(
            f"target.ckpt={path_str} holds a different model than model={model_cfg.name} asks for: "
            + "; ".join(diffs)
        )
    model = build_model(model_cfg)
    model.load_state_dict(payload["state_dict"])
    return model


def target_hash(
    model_cfg: Any, dataset_cfg: Any, seed: int, training: dict[str, Any] | None = None
) -> str:
    """The cache key of a target trained on the fly: its model config (recipe included), the
    dataset fields that shape its training data, its seed, and the trainer settings that change
    it (``training_settings``; none for a default run, whose key is the one it always was)."""
    data = {k: v for k, v in asdict(dataset_cfg).items() if k not in _DATA_KEYS_NOT_HASHED}
    identity: dict[str, Any] = {
        "format": FORMAT,
        "model": asdict(model_cfg),
        "data": data,
        "seed": seed,
    }
    if training:
        identity["training"] = training
    key = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def training_settings(model_cfg: Any, trainer_cfg: Any) -> dict[str, Any]:
    """The trainer settings that make a target trained on the fly differ from its full recipe:
    a ``max_steps`` below the recipe's steps (``debug=fast``), a precision other than 32-bit."""
    out: dict[str, Any] = {}
    if trainer_cfg.max_steps is not None and trainer_cfg.max_steps < model_cfg.recipe.steps:
        out["max_steps"] = trainer_cfg.max_steps
    if trainer_cfg.precision != "32-true":
        out["precision"] = trainer_cfg.precision
    return out


def target_training_config(raw: dict[str, Any], cfg: RunConfig) -> dict[str, Any]:
    """The config of the ``method=train`` run that trains ``raw``'s target: the same model,
    dataset, trainer (on one device), logger and callbacks, seeded with ``target.seed``."""
    out = {k: v for k, v in raw.items() if k != "study"}
    out["method"] = {
        "_target_": f"{TrainModule.__module__}.{TrainModule.__qualname__}",
        "name": "train",
    }
    out["seed"] = cfg.target.seed
    # one process: a multi-process strategy would start its other ranks inside this sub-run,
    # where they would wait for the cache lock that rank 0 holds while it waits for them
    out["trainer"] = {**raw["trainer"], "devices": 1, "strategy": "auto"}
    out["optimized_metric"] = None
    out["target"] = {**raw.get("target", {}), "ckpt": None}
    return out


def obtain_target(
    raw: dict[str, Any], cfg: RunConfig, train_run: TrainRun
) -> tuple[nn.Module, str]:
    """The target of the run ``raw`` (validated as ``cfg``) and a line saying where it came from.

    ``target.ckpt`` is loaded; otherwise the target is trained by a ``method=train`` run
    (``train_run``) into ``paths.targets_dir/<target_hash>/``, which then holds ``target.pt``
    beside the run's checkpoints: a later run with the same key reuses it, parallel jobs wait
    for one training (a file lock), and a training that was killed continues from its last
    checkpoint. ``target.cache=false`` trains into a temporary folder instead. Raises
    TargetError (no recipe, unreadable checkpoint) or TargetTrainingFailed.
    """
    model_cfg = cfg.model
    if cfg.target.ckpt is not None:
        return load_target(cfg.target.ckpt, model_cfg), f"target loaded from {cfg.target.ckpt}"
    if getattr(model_cfg, "recipe", None) is None:
        raise TargetError(
            f"model={model_cfg.name} has no training recipe to train a target on the fly: train it "
            f"first (e.g. method=bimt or method=train) and pass target.ckpt=<that run folder>"
        )
    train_raw = target_training_config(raw, cfg)
    settings = training_settings(model_cfg, cfg.trainer)
    trained = "target trained with its recipe" + "".join(f", {k}={v}" for k, v in settings.items())
    if not cfg.target.cache:
        with tempfile.TemporaryDirectory(prefix="target-") as tmp:
            report = _train(train_run, train_raw, Path(tmp))
            target = load_target(tmp, model_cfg)
        return target, f"{trained} ({report}), not cached"
    folder = Path(cfg.paths.targets_dir) / target_hash(
        model_cfg, cfg.dataset, cfg.target.seed, settings
    )
    folder.mkdir(parents=True, exist_ok=True)
    with _exclusive(folder / ".lock"):  # parallel sweep jobs wait for one training, not redo it
        if (folder / TARGET_FILE).is_file():
            return load_target(str(folder), model_cfg), f"cached target reused from {folder}"
        report = _train(train_run, train_raw, folder)
    return load_target(str(folder), model_cfg), f"{trained} ({report}) and cached in {folder}"


def _train(train_run: TrainRun, train_raw: dict[str, Any], folder: Path) -> str:
    """Run the target's training into ``folder``; its final numbers as one line."""
    record = train_run(train_raw, folder)
    if record.get("status") != "ok":
        raise TargetTrainingFailed(
            f"training the target failed: {record.get('error')} (see {folder})"
        )
    return ", ".join(
        f"{k}={v:.4g}"
        for k, v in sorted(record.items())
        if isinstance(v, float) and k != "wall_time_s"
    )


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an advisory lock on ``lock_path`` (no-op where fcntl is missing, e.g. Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
