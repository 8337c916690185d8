"""Targets of the analysis methods: load ``target.ckpt=PATH`` (a run folder, its ``target.pt``, or
a plain state dict of the configured architecture) or train one with the model's recipe by a
``method=train`` run cached under ``outputs/targets/<hash of the target config>/``."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from subnetlab.lifecycle.plain_weights import complete_state_dict, is_plain_state_dict
from subnetlab.methods.train.module import TrainModule
from subnetlab.models.hf_causal_lm import load_hf_model
from subnetlab.registry import build_model, model_family
from subnetlab.schemas.run import RunConfig
from subnetlab.utils.atomic_files import save_torch_atomic, write_text_atomic
from subnetlab.utils.checkpoint_files import (
    CheckpointFileError,
    non_finite_entries,
    read_checkpoint,
)

FORMAT = "subnetlab-target/1"
TARGET_FILE = "target.pt"
#: where a run folder records where its target came from (``record_target``)
SOURCE_FILE = "target.json"
#: targets up to this size are copied into the run folders that analyse them
COPY_LIMIT_BYTES = 10 * 2**20
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
    save_torch_atomic(path, payload)  # parallel jobs may write the same one: each its own temp


def load_target(path_str: str, model_cfg: Any) -> nn.Module:
    """Load ``target.ckpt=PATH``: a run folder (its ``target.pt``) or a ``target.pt`` file.

    Raises:
        TargetError: the file is missing, is not a weights-only torch checkpoint (text, truncated,
            foreign pickle), is not a subnetlab target, holds another architecture or non-finite
            weights.
    """
    path = Path(path_str).expanduser()
    if path.is_dir():
        path = path / TARGET_FILE
    expected = (
        f"expected a {TARGET_FILE} written by method=train or method=bimt (or the run folder "
        "holding it), or a plain state dict saved with torch.save(model.state_dict(), path)"
    )
    if not path.is_file():
        raise TargetError(f"target.ckpt={path_str}: no such file ({path}); {expected}")
    return _read_target(path, model_cfg, "target.ckpt", expected)


def _read_target(path: Path, model_cfg: Any, source: str, remedy: str) -> nn.Module:
    """The model in the target file ``path``; errors start with ``source`` (what named the file),
    name the file and end in ``remedy``."""
    try:
        payload = read_checkpoint(path)
    except CheckpointFileError as err:
        raise TargetError(f"{source}: {err}; {remedy}") from None
    if is_plain_state_dict(payload) and "format" not in payload:
        return _load_plain(str(path), payload, model_cfg)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise TargetError(
            f"{source}: {path} is neither a {FORMAT} checkpoint nor a plain state dict "
            f"(torch.save(model.state_dict(), path)); {remedy}"
        )
    saved = _architecture(payload.get("model_cfg") or {})
    wanted = _architecture(asdict(model_cfg))
    if saved != wanted:
        diffs = [
            f"{k}: checkpoint {saved.get(k)!r} vs config {wanted.get(k)!r}"
            for k in sorted(set(saved) | set(wanted))
            if saved.get(k) != wanted.get(k)
        ]
        raise TargetError(
            f"{source}: {path} holds a different model than model={model_cfg.name} asks for: "
            + "; ".join(diffs)
        )
    state: Any = payload.get("state_dict")  # unpickled; load_state_dict rejects a non-mapping
    bad = non_finite_entries(state)
    if bad:
        raise TargetError(
            f"{source}: the weights in {path} hold NaN/inf ({', '.join(bad[:3])}); {remedy}"
        )
    model = build_model(model_cfg)
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError) as err:
        first = str(err).strip().splitlines()[0]
        raise TargetError(
            f"{source}: the weights in {path} do not fit the model ({first}); {remedy}"
        ) from None
    return model


def _load_plain(path_str: str, state: dict[str, torch.Tensor], model_cfg: Any) -> nn.Module:
    """A plain state dict loaded into the configured architecture."""
    model = build_model(model_cfg)
    try:
        model.load_state_dict(complete_state_dict(model, state))
    except ValueError as err:
        raise TargetError(
            f"target.ckpt={path_str} does not fit model={model_cfg.name} "
            f"({_architecture_line(model_cfg)}): {err}"
        ) from None
    return model


def _architecture_line(model_cfg: Any) -> str:
    """The set architecture fields, e.g. ``widths=[6, 8, 8, 2], activation=relu``."""
    fields = _architecture(asdict(model_cfg))
    return ", ".join(f"{k}={v}" for k, v in fields.items() if k != "name" and v is not None)


def load_hf_target(path: str) -> nn.Module:
    """The causal LM saved in the local Hugging Face folder ``target.hf_path``
    (``save_pretrained``), its decoder blocks listed by ``block_names()``.

    Raises:
        TargetError: ``path`` holds no ``config.json``.
        ImportError: the optional ``transformers`` package is missing.
    """
    if not (Path(path).expanduser() / "config.json").is_file():
        raise TargetError(
            f"target.hf_path={path}: no Hugging Face model folder there (config.json missing); "
            "give a folder written by save_pretrained"
        )
    return load_hf_model(path)


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
    out["run_name"] = None  # named after itself (train_<model>), not after the run it serves
    return out


def obtain_target(
    raw: dict[str, Any], cfg: RunConfig, train_run: TrainRun
) -> tuple[nn.Module, str]:
    """The target of the run ``raw`` (validated as ``cfg``) and a line saying where it came from.

    ``target.ckpt`` is loaded; a family built whole from its config (``weights_from_config``, e.g. a
    planted ground-truth net) is built; otherwise the target is trained by a ``method=train`` run
    (``train_run``) into ``paths.targets_dir/<target_hash>/``, which then holds ``target.pt`` beside
    the run's checkpoints: a later run with the same key reuses it, parallel jobs wait for one
    training (a file lock), and a training that was killed continues from its last checkpoint.
    ``target.cache=false`` trains into a temporary folder instead. Raises
    TargetError (no recipe, unreadable checkpoint) or TargetTrainingFailed.
    """
    model_cfg = cfg.model
    if cfg.target.ckpt is not None:
        return load_target(cfg.target.ckpt, model_cfg), f"target loaded from {cfg.target.ckpt}"
    if model_family(model_cfg.name).weights_from_config:
        return build_model(model_cfg), f"target built from model={model_cfg.name}'s config"
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
    folder = cache_folder(cfg)
    path = folder / TARGET_FILE
    # target.pt is written atomically, so one that exists is whole: reading it needs no lock
    # (and works in a read-only cache)
    if path.is_file():
        return _read_cached(path, model_cfg), f"cached target reused from {folder}"
    with _exclusive(folder):  # parallel sweep jobs wait for one training, not redo it
        if path.is_file():  # trained by another job while this one waited
            return _read_cached(path, model_cfg), f"cached target reused from {folder}"
        report = _train(train_run, train_raw, folder)
    return _read_cached(path, model_cfg), f"{trained} ({report}) and cached in {folder}"


def cache_folder(cfg: RunConfig) -> Path:
    """The folder under ``paths.targets_dir`` that caches the target ``cfg`` trains on the fly."""
    settings = training_settings(cfg.model, cfg.trainer)
    return Path(cfg.paths.targets_dir) / target_hash(
        cfg.model, cfg.dataset, cfg.target.seed, settings
    )


def target_source(cfg: RunConfig) -> dict[str, str]:
    """Where the run ``cfg`` takes its target from: ``source`` is ``hf_path`` or ``ckpt`` (with
    the absolute ``path``), ``config`` (built from the model config), ``cache`` (the cache ``path``
    and its ``hash``) or ``uncached`` (trained into a temporary folder, not kept)."""
    if cfg.target.hf_path is not None:
        return {"source": "hf_path", "path": str(Path(cfg.target.hf_path).expanduser().resolve())}
    if cfg.target.ckpt is not None:
        return {"source": "ckpt", "path": str(Path(cfg.target.ckpt).expanduser().resolve())}
    if model_family(cfg.model.name).weights_from_config:
        return {"source": "config"}
    if not cfg.target.cache:
        return {"source": "uncached"}
    folder = cache_folder(cfg)
    return {"source": "cache", "path": str(folder.resolve()), "hash": folder.name}


def target_identity(cfg: RunConfig, needs_target: bool) -> dict[str, str]:
    """What ``metrics.json`` says the run worked on: ``model``, the model option (``tms_40_10``,
    not its family ``tms``; the family where no option was recorded) or, for a Hugging Face
    folder, which defines the architecture itself, ``hf:<its model_type>``; and, for a method that
    analyses a given target (``needs_target``), ``target``: the absolute folder or checkpoint."""
    if needs_target and cfg.target.hf_path is not None:
        folder = Path(cfg.target.hf_path).expanduser().resolve()
        return {"model": f"hf:{_hf_model_type(folder)}", "target": str(folder)}
    identity = {"model": cfg.model_option or cfg.model.name}
    if needs_target and cfg.target.ckpt is not None:
        identity["target"] = str(Path(cfg.target.ckpt).expanduser().resolve())
    return identity


def _hf_model_type(folder: Path) -> str:
    """The ``model_type`` of a Hugging Face folder's config.json (``gpt2``, ``llama``); ``model``
    when it names none or cannot be read (the run's error then says why)."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return "model"
    model_type = config.get("model_type") if isinstance(config, dict) else None
    return str(model_type) if model_type else "model"


def record_target(
    run_dir: Path, source: dict[str, Any], target: nn.Module | None, model_cfg: Any
) -> None:
    """Write ``run_dir/target.json`` (``source`` plus ``copied``) and, when ``target`` is given
    and its weights take at most ``COPY_LIMIT_BYTES``, a copy of it as ``run_dir/target.pt``, so
    the run can be reloaded after the target's cache or checkpoint is gone. A Hugging Face target
    is never copied (its architecture lives in its own folder)."""
    size = (
        0
        if target is None
        else sum(t.numel() * t.element_size() for t in target.state_dict().values())
    )
    copied = target is not None and source["source"] != "hf_path" and size <= COPY_LIMIT_BYTES
    if copied:
        assert target is not None
        save_target(run_dir / TARGET_FILE, target, model_cfg, {})
    run_dir.mkdir(parents=True, exist_ok=True)
    record = {**source, "copied": copied}
    write_text_atomic(run_dir / SOURCE_FILE, json.dumps(record, indent=2, sort_keys=True))


def _read_cached(path: Path, model_cfg: Any) -> nn.Module:
    remedy = f"delete {path.parent} to train it again, or set target.cache=false"
    return _read_target(path, model_cfg, "cached target", remedy)


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
def _exclusive(folder: Path) -> Iterator[None]:
    """Create ``folder`` and hold an advisory lock on its ``.lock`` (no lock where fcntl is
    missing, e.g. Windows).

    Raises:
        TargetError: the folder cannot be created or written (read-only, full, not a folder).
    """
    lock_path = folder / ".lock"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")  # noqa: SIM115 - closed below, after the lock is released
    except OSError as err:
        raise TargetError(
            f"cannot cache a trained target in {folder} ({err.strerror or err}): set "
            "paths.targets_dir to a writable folder, or target.cache=false"
        ) from None
    with handle:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
