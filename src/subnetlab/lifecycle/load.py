"""Load a finished run folder back into Python: ``subnetlab.load_run(run_dir)`` gives its config,
metrics, target, the method's trained state and its figures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException
from torch import nn

from subnetlab.lifecycle.runner import build_datamodule, method_class
from subnetlab.lifecycle.targets import (
    SOURCE_FILE,
    TARGET_FILE,
    TargetError,
    load_hf_target,
    load_target,
)
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import RunConfig, validate_run_config
from subnetlab.utils.checkpoint_files import CheckpointFileError, read_checkpoint

CONFIG_FILE = Path(".hydra") / "config.yaml"
METRICS_FILE = "metrics.json"
CHECKPOINT_FILE = Path("checkpoints") / "last.ckpt"
#: files of the run contract itself, not a method's artifacts
_CONTRACT_FILES = frozenset({METRICS_FILE, SOURCE_FILE, TARGET_FILE})


class RunFolderError(ValueError):
    """The folder is not a subnetlab run folder, or lacks (or holds an unreadable) file that
    ``load_run`` needs; the message names the file."""


@dataclass(frozen=True)
class LoadedRun:
    """A run folder loaded back.

    Attributes:
        run_dir: the folder.
        config: the resolved config the run used (``.hydra/config.yaml``), a plain dict.
        run_config: the same config validated (typed schemas: ``run_config.method.steps``).
        metrics: ``metrics.json`` (``status`` and, for a finished run, the final metrics).
        target: the network the run analysed (analysis methods) or trained (``train``, ``bimt``,
            ``finetune``), on the CPU in eval mode; None for a study folder.
        module: the method's ``MethodModule`` rebuilt as the runner builds it, with the trained
            parameters of ``checkpoints/last.ckpt`` loaded (SPD/APD: ``module.decomposition``;
            BIMT: ``module.network``), in eval mode; None for a method that trains nothing.
        artifacts: the method's own files by name (their stem): ``*.npy`` as arrays (GW's
            matrices), ``*.json`` as data (GW's ``groups``, BIMT's history), ``*.pt`` as the
            weights-only objects they hold (the circuit's ``circuit_mask``).
        figures: ``figures/<name>.png`` paths by name.
    """

    run_dir: Path
    config: dict[str, Any]
    run_config: RunConfig
    metrics: dict[str, Any]
    target: nn.Module | None
    module: MethodModule | None
    artifacts: dict[str, Any]
    figures: dict[str, Path]

    @property
    def state(self) -> MethodModule | dict[str, Any]:
        """The method's trained state: ``module`` for a method that trains (SPD, APD, BIMT,
        train, finetune), else ``artifacts`` (circuit mask, GW matrices and groups)."""
        return self.module if self.module is not None else self.artifacts


def load_run(run_dir: str | Path) -> LoadedRun:
    """Load the run folder ``run_dir`` (one written by ``run.py``) on the CPU.

    The target comes from the folder's ``target.pt`` (written by a run that trains one, or a copy
    of a target up to 10 MB), else from where ``target.json`` says the run took it (a checkpoint, a
    cached target folder, a Hugging Face folder).

    Raises:
        RunFolderError: ``run_dir`` is not a folder, misses ``.hydra/config.yaml``,
            ``metrics.json``, ``checkpoints/last.ckpt`` (a method that trains) or its target, or
            one of them cannot be read; the message names the file.
    """
    folder = Path(run_dir).expanduser()
    if not folder.is_dir():
        raise RunFolderError(f"load_run: {folder} is not a folder")
    raw = _read_config(folder)
    try:
        cfg = validate_run_config(raw)
        method_cls = method_class(raw)
    except (ConfigError, ImportError, TypeError) as err:
        raise RunFolderError(
            f"load_run: {folder / CONFIG_FILE} is not a valid run config: {err}"
        ) from None
    metrics = _read_json(folder, METRICS_FILE)
    target = module = None
    if cfg.study is None:
        target = _load_target(folder, cfg, method_cls)
        if method_cls.trains:
            module = _rebuild_module(folder, raw, cfg, method_cls, target)
    figures = {path.stem: path for path in sorted((folder / "figures").glob("*.png"))}
    return LoadedRun(folder, raw, cfg, metrics, target, module, _read_artifacts(folder), figures)


def _read_config(folder: Path) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise RunFolderError(
            f"load_run: {folder} is not a run folder: {CONFIG_FILE} is missing "
            "(run.py writes it into every run folder)"
        )
    try:
        raw = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    except (OmegaConfBaseException, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0]
        raise RunFolderError(f"load_run: cannot read {path}: {first}") from None
    if not isinstance(raw, dict):
        raise RunFolderError(f"load_run: {path} does not hold a config mapping")
    return {str(key): value for key, value in raw.items() if key != "hydra"}


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise RunFolderError(f"load_run: {folder} has no {name}")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise RunFolderError(f"load_run: cannot read {path}: {err}") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"load_run: {path} does not hold a JSON object")
    return data


def _load_target(folder: Path, cfg: RunConfig, method_cls: type[MethodModule]) -> nn.Module | None:
    """The run's target or trained network (see ``load_run``), in eval mode."""
    try:
        if (folder / TARGET_FILE).is_file():
            target = load_target(str(folder / TARGET_FILE), cfg.model)
        elif (folder / SOURCE_FILE).is_file():
            target = _load_recorded_target(folder, cfg)
        elif method_cls.needs_target:
            raise RunFolderError(
                f"load_run: {folder} has neither {TARGET_FILE} nor {SOURCE_FILE}, so its "
                "target is unknown (an older run folder: pass the target to your own code by hand)"
            )
        else:
            return None
    except TargetError as err:
        raise RunFolderError(f"load_run: the target of {folder}: {err}") from None
    return target.eval()


def _load_recorded_target(folder: Path, cfg: RunConfig) -> nn.Module:
    record = _read_json(folder, SOURCE_FILE)
    source, path = record.get("source"), record.get("path")
    if source == "hf_path" and path is not None:
        return load_hf_target(path)
    if source in ("ckpt", "cache") and path is not None:
        return load_target(path, cfg.model)
    raise RunFolderError(
        f"load_run: {folder / SOURCE_FILE} says the target came from {source!r}, which kept no "
        f"file to load (and the folder has no {TARGET_FILE})"
    )


def _rebuild_module(
    folder: Path,
    raw: dict[str, Any],
    cfg: RunConfig,
    method_cls: type[MethodModule],
    target: nn.Module | None,
) -> MethodModule:
    """The method's module built as the runner builds it, with the checkpoint's parameters."""
    path = folder / CHECKPOINT_FILE
    if not path.is_file():
        raise RunFolderError(
            f"load_run: {folder} has no {CHECKPOINT_FILE}, which holds what "
            f"method={cfg.method.name} trained (a run with callbacks.checkpoint=false keeps none)"
        )
    try:
        checkpoint = read_checkpoint(path)
    except CheckpointFileError as err:
        raise RunFolderError(f"load_run: {err}") from None
    ctx = RunContext(
        seed=cfg.seed,
        run_dir=folder,
        model_cfg=cfg.model,
        dataset_cfg=cfg.dataset,
        target=target if method_cls.needs_target else None,
        datamodule=build_datamodule(raw, cfg),
        extras={"summary_writer": None},
    )
    # building draws initial parameters (the checkpoint replaces them): leave the caller's
    # random state as it was
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        module = method_cls(cfg.method, ctx)
    try:
        module.load_state_dict(checkpoint["state_dict"])
        module.on_load_checkpoint(checkpoint)  # what the method keeps beside its parameters
    except (KeyError, TypeError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0]
        raise RunFolderError(
            f"load_run: {path} does not fit method={cfg.method.name} as configured ({first})"
        ) from None
    return module.eval()


def _read_artifacts(folder: Path) -> dict[str, Any]:
    artifacts: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name in _CONTRACT_FILES:
            continue
        try:
            if path.suffix == ".npy":
                artifacts[path.stem] = np.load(path, allow_pickle=False)
            elif path.suffix == ".json":
                artifacts[path.stem] = json.loads(path.read_text())
            elif path.suffix == ".pt":
                artifacts[path.stem] = read_checkpoint(path)
        except (OSError, ValueError, CheckpointFileError) as err:
            raise RunFolderError(f"load_run: cannot read {path}: {err}") from None
    return artifacts
