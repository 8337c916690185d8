"""Targets of the analysis methods: load ``target.ckpt=PATH`` or train with the model's recipe and
cache under ``outputs/targets/<hash of the target config>/``."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from subnetlab.lifecycle.outputs import write_json_atomic
from subnetlab.models.hf_causal_lm import load_hf_model
from subnetlab.training.recipes import build_model, train_with_recipe
from subnetlab.utils.progress import step_progress

FORMAT = "subnetlab-target/1"
TARGET_FILE = "target.pt"
# dataset fields that only concern the analysis method's batches, not the target's training
_DATA_KEYS_NOT_HASHED = ("batch_size", "eval_size")


class TargetError(ValueError):
    """A target checkpoint is missing, unreadable or does not match the configured model."""


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


def target_hash(model_cfg: Any, dataset_cfg: Any, seed: int) -> str:
    data = {k: v for k, v in asdict(dataset_cfg).items() if k not in _DATA_KEYS_NOT_HASHED}
    key = json.dumps(
        {"format": FORMAT, "model": asdict(model_cfg), "data": data, "seed": seed}, sort_keys=True
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def obtain_target(
    model_cfg: Any, dataset_cfg: Any, ckpt: str | None, seed: int, cache_dir: Path, use_cache: bool
) -> tuple[nn.Module, str]:
    """The target and a line saying where it came from."""
    if ckpt is not None:
        return load_target(ckpt, model_cfg), f"target loaded from {ckpt}"
    if getattr(model_cfg, "recipe", None) is None:
        raise TargetError(
            f"model={model_cfg.name} has no training recipe to train a target on the fly: train it "
            f"first (e.g. method=bimt or method=train) and pass target.ckpt=<that run folder>"
        )
    folder = cache_dir / target_hash(model_cfg, dataset_cfg, seed)
    path = folder / TARGET_FILE
    if not use_cache:
        model, report = _train(model_cfg, dataset_cfg, seed)
        return model, f"target trained with its recipe ({report}), not cached"
    folder.mkdir(parents=True, exist_ok=True)
    with _exclusive(folder / ".lock"):  # parallel sweep jobs wait for one training, not redo it
        if path.is_file():
            return load_target(str(path), model_cfg), f"cached target reused from {folder}"
        model, report = _train(model_cfg, dataset_cfg, seed)
        save_target(path, model, model_cfg, report)
        write_json_atomic(folder / "report.json", report)
    return model, f"target trained with its recipe ({report}) and cached in {folder}"


def _train(model_cfg: Any, dataset_cfg: Any, seed: int) -> tuple[nn.Module, dict[str, float]]:
    with step_progress(model_cfg.recipe.steps, f"training {model_cfg.name} target") as progress:
        return train_with_recipe(model_cfg, dataset_cfg, seed, on_step=progress)


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
