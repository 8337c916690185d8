"""The runner: compose → validate → target → data → method → Trainer → fit → final metrics →
outputs (DESIGN.md's run contract)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import get_class, get_method
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.model_helpers import is_overridden

from subnetlab.callbacks.periodic_figures import PeriodicFigures
from subnetlab.callbacks.progress import StepProgress
from subnetlab.data.errors import DataError
from subnetlab.lifecycle.checkpoint_io import (
    NonFiniteCheckpointError,
    SafeCheckpointIO,
    check_resumable,
)
from subnetlab.lifecycle.interrupts import (
    RunInterrupted,
    StopAtStepBoundary,
    signals_interrupt_the_run,
)
from subnetlab.lifecycle.loggers import (
    RunLogger,
    build_run_logger,
    check_logger_available,
    default_run_name,
)
from subnetlab.lifecycle.output_folders import OutputFolderError, require_writable_folder
from subnetlab.lifecycle.outputs import (
    figure_footer,
    read_metrics,
    save_figures,
    write_json_atomic,
)
from subnetlab.lifecycle.targets import (
    TARGET_FILE,
    TargetError,
    load_hf_target,
    obtain_target,
    record_target,
    save_target,
    target_identity,
    target_source,
)
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.errors import NonFiniteLossError, TargetCapabilityError
from subnetlab.registry import build_model
from subnetlab.schemas.base import ConfigError, asdict_flat
from subnetlab.schemas.registry import schemas
from subnetlab.schemas.run import RunConfig, TrainerSchema, validate_run_config
from subnetlab.utils.checkpoint_files import CheckpointFileError
from subnetlab.utils.folder_names import MAX_RUN_NAME, safe_folder_name
from subnetlab.utils.log_records import FILE_ONLY
from subnetlab.utils.progress import configure as configure_progress
from subnetlab.utils.progress import settings as progress_settings

log = logging.getLogger("subnetlab")


class ResumeError(ValueError):
    """``resume=true`` cannot continue this run folder."""


class SecondaryRankDone(Exception):
    """Raised on ranks > 0 of a multi-process run once fitting ends: rank 0 alone evaluates and
    writes the run's outputs."""


#: the note of a sweep job or study stage whose folder already holds a finished run
ALREADY_FINISHED = "already finished; skipped"
#: bad input: the run stops with one line and exit code 2
USER_ERRORS = (ConfigError, TargetError, ResumeError, DataError, OutputFolderError)
#: failures that are a run's outcome, not a bug: recorded as one line, without a traceback
EXPECTED_FAILURES = (NonFiniteLossError, NonFiniteCheckpointError)


@dataclass
class RunResult:
    status: str
    metrics: dict[str, Any]
    objective: float
    run_dir: Path
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def worst_value(higher_is_better: bool) -> float:
    return -math.inf if higher_is_better else math.inf


def worst_objective(raw: dict[str, Any]) -> float:
    """The value a failed job hands to the sweeper: the worst one for its optimized metric.

    Works on unvalidated configs too (a job may fail because its config is invalid)."""
    try:
        method_cls = method_class(raw)
    except Exception:  # noqa: BLE001 - no method to ask: minimisation is the convention
        return math.inf
    metric = raw.get("optimized_metric") or method_cls.default_optimized_metric
    return worst_value(method_cls.maximizes(str(metric)))


def method_class(raw: dict[str, Any]) -> type[MethodModule]:
    cls = get_class(raw["method"]["_target_"])
    if not issubclass(cls, MethodModule):
        raise TypeError(f"method._target_={raw['method']['_target_']} is not a MethodModule")
    return cls


def check_method_fits_model(method_cls: type[MethodModule], cfg: RunConfig) -> None:
    """Raise a ConfigError before any work when ``method=`` cannot analyse (or train) ``model=``;
    the message names the model families it can."""
    method_cls.check_data(cfg.dataset)
    if cfg.target.hf_path is not None and method_cls.needs_target:
        return  # a Hugging Face target is checked once loaded (no training precedes it)
    check_method_fits_target(method_cls, cfg, build_model(cfg.model))


def check_method_fits_target(
    method_cls: type[MethodModule], cfg: RunConfig, target: torch.nn.Module
) -> None:
    """The method's capability and option checks on ``target``: the untrained architecture of
    ``model=`` (a ConfigError on ``model`` naming the families that fit), or a loaded Hugging Face
    folder whose files alone define it (a ConfigError on ``target.hf_path``)."""
    try:
        method_cls.check_target(target, cfg.model)
    except TargetCapabilityError as err:
        allowed = f"a model that method={cfg.method.name} can work on ({err})"
        if cfg.target.hf_path is not None:
            raise ConfigError("target.hf_path", cfg.target.hf_path, allowed) from None
        families = ", ".join(compatible_models(method_cls))
        raise ConfigError("model", cfg.model.name, f"{allowed}: {families}") from None
    method_cls.check_options_for_target(cfg.method, target)


def run_device(trainer: TrainerSchema) -> torch.device:
    """Where work outside Lightning's fit computes (an analysis, a study's own analysis): the
    device ``trainer.accelerator`` names, its first one when ``trainer.devices`` > 1.

    Raises:
        ConfigError: ``trainer.accelerator=gpu`` on a machine without CUDA.
    """
    if trainer.accelerator == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    if trainer.accelerator == "gpu":
        raise ConfigError("trainer.accelerator", "gpu", "'cpu' or 'auto' (no CUDA device here)")
    return torch.device("cpu")


def compatible_models(method_cls: type[MethodModule]) -> list[str]:
    """The registered model families whose default architecture ``method_cls`` accepts."""
    names = []
    for name, schema in sorted(schemas("model").items()):
        try:
            model_cfg = schema()
            method_cls.check_target(build_model(model_cfg), model_cfg)
        except (TargetCapabilityError, ConfigError):  # ConfigError: no default architecture
            continue
        names.append(name)
    return names


def build_datamodule(raw: dict[str, Any], cfg: RunConfig) -> L.LightningDataModule | None:
    """The ``dataset`` option's datamodule (None for a dataset without ``_target_``)."""
    target = raw["dataset"].get("_target_")
    if target is None:
        return None
    return get_class(target)(cfg.dataset, cfg.seed, cfg.model)


def _checkpoint_step(path: Path) -> int:
    """The global step a checkpoint was written at. A file that is not a finite Lightning
    checkpoint that a weights-only load accepts is a ResumeError (a checkpoint is data, never
    code)."""
    try:
        check_resumable(path)
    except CheckpointFileError as err:
        raise ResumeError(f"resume=true cannot continue: {err}") from None
    return int(torch.load(path, map_location="cpu", weights_only=True)["global_step"])


def fit_steps(module: MethodModule, cfg: RunConfig) -> int:
    """Optimiser steps the fit runs: the method's own, capped by ``trainer.max_steps``."""
    if cfg.trainer.max_steps is None:
        return module.max_steps
    return min(module.max_steps, cfg.trainer.max_steps)


def target_label(source: dict[str, str]) -> str:
    """A short name of where the target came from, for figure footers: ``target <folder>`` for a
    checkpoint or Hugging Face folder, ``target <hash>`` for a cached one."""
    if "hash" in source:
        return f"target {source['hash'][:10]}"
    if "path" in source:
        return f"target {Path(source['path']).name}"
    return f"target {source['source']}"


def _fit(
    module: MethodModule,
    cfg: RunConfig,
    ctx: RunContext,
    run_dir: Path,
    extra: Sequence[L.Callback],
    resume_step: int | None,
    run_logger: RunLogger,
) -> L.Trainer:
    ckpt_dir = run_dir / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    steps = fit_steps(module, cfg)
    callbacks: list[L.Callback] = []
    if cfg.callbacks.checkpoint:
        callbacks.append(
            ModelCheckpoint(
                dirpath=ckpt_dir,
                save_top_k=0,
                save_last=True,
                every_n_train_steps=cfg.callbacks.checkpoint_every_n_steps,
                enable_version_counter=False,
            )
        )
    callbacks.append(StepProgress(f"{cfg.method.name} on {cfg.model.name}"))
    if cfg.callbacks.figures_every_n_steps > 0 and run_logger.takes_figures:
        callbacks.append(
            PeriodicFigures(cfg.callbacks.figures_every_n_steps, run_logger.log_figure)
        )
    callbacks.append(StopAtStepBoundary(last if cfg.callbacks.checkpoint else None))
    callbacks.extend(extra)
    trainer = L.Trainer(
        max_steps=steps,
        max_epochs=-1,
        accelerator=cfg.trainer.accelerator,
        devices=cfg.trainer.devices,
        strategy=cfg.trainer.strategy,
        precision=cfg.trainer.precision,
        deterministic=cfg.trainer.deterministic,
        logger=run_logger.lightning if run_logger.lightning is not None else False,
        callbacks=callbacks,
        enable_checkpointing=cfg.callbacks.checkpoint,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=cfg.trainer.log_every_n_steps,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        default_root_dir=str(run_dir),
        plugins=[SafeCheckpointIO()],
    )
    if resume_step is not None:
        log.info("resuming from %s (step %d)", last, resume_step)
    ckpt_path = str(last) if resume_step is not None else None
    # a method with its own train_dataloader draws its own batches (Lightning would otherwise
    # take the datamodule's)
    datamodule = None if is_overridden("train_dataloader", module) else ctx.datamodule
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    if cfg.callbacks.checkpoint:  # every rank takes part; rank 0 writes
        trainer.save_checkpoint(last)
    return trainer


def run(
    raw: dict[str, Any],
    run_dir: Path,
    extra_callbacks: Sequence[L.Callback] = (),
    skip_if_done: bool = False,
) -> RunResult:
    """Execute one run into ``run_dir``. ``raw`` is the resolved config without ``hydra``.

    Config errors raise ConfigError before any work. Any failure after that writes
    ``metrics.json`` with ``status: failed`` and the error, and returns it in the result.
    """
    cfg = validate_run_config(raw)
    method_cls = method_class(raw)
    check_method_fits_model(method_cls, cfg)
    check_logger_available(cfg.logger)
    require_writable_folder(run_dir, "paths.output_dir")
    device = run_device(cfg.trainer)
    if cfg.resume and not skip_if_done and cfg.study is None and not method_cls.trains:
        raise ResumeError(
            f"resume=true: method={cfg.method.name} trains nothing, so there is nothing to "
            "continue; run it again without resume"
        )
    last = run_dir / "checkpoints" / "last.ckpt"
    if skip_if_done:  # a sweep job or a study's stage: finished → skip; interrupted → continue
        previous = read_metrics(run_dir)
        if previous is not None and previous.get("status") == "ok":
            metric = cfg.optimized_metric or method_cls.default_optimized_metric
            value = float(previous.get(metric, worst_value(method_cls.maximizes(metric))))
            return RunResult("ok", previous, value, run_dir, notes=[ALREADY_FINISHED])
        resume_from = last if last.is_file() and method_cls.trains else None
    elif cfg.resume:
        if not last.is_file():
            raise ResumeError(f"resume=true but {last} does not exist: nothing to continue from")
        resume_from = last
    else:
        resume_from = None
    start = time.time()
    try:
        resume_step = _checkpoint_step(resume_from) if resume_from is not None else None
    except ResumeError as err:  # the folder exists: it records why it cannot be continued
        _write_record(run_dir, cfg, {}, "failed", str(err), start, method_cls.needs_target)
        raise
    run_dir.mkdir(parents=True, exist_ok=True)
    torch_threads_before = torch.get_num_threads()
    progress_before = progress_settings()
    configure_progress(cfg.trainer.progress_bar, cfg.trainer.progress_every_s)
    if cfg.trainer.threads is not None:
        torch.set_num_threads(cfg.trainer.threads)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    notes: list[str] = []
    metrics: dict[str, Any] = {}
    status, error = "ok", None
    try:
        with signals_interrupt_the_run():
            if cfg.study is not None:
                study = get_method(raw["study"]["_target_"])
                metrics = {k: float(v) for k, v in study(raw, cfg, run_dir).items()}
            else:
                metrics = _run_method(
                    raw, cfg, method_cls, run_dir, device, extra_callbacks, notes, resume_step
                )
    except SecondaryRankDone:
        return RunResult("secondary", {}, math.nan, run_dir)
    except RunInterrupted as interrupt:  # record it, then stop the process (and any sweep)
        checkpoint = run_dir / "checkpoints" / "last.ckpt"
        how = (
            f"continue with the same command plus resume=true (from {checkpoint})"
            if checkpoint.is_file()
            else "no checkpoint was written yet: run it again"
        )
        _write_record(
            run_dir, cfg, {}, "interrupted", f"{interrupt}; {how}", start, method_cls.needs_target
        )
        raise
    except USER_ERRORS as err:  # bad input: record it, then let the caller report it plainly
        _write_record(run_dir, cfg, {}, "failed", str(err), start, method_cls.needs_target)
        raise
    except Exception as err:  # the run contract: record the failure, keep what was written
        status, error = "failed", f"{err.__class__.__name__}: {err}"
        # the console gets the one-line summary; run.log also the traceback of a surprise
        expected = isinstance(err, EXPECTED_FAILURES)
        log.error("run failed: %s", error, exc_info=not expected, extra=FILE_ONLY)
    finally:
        torch.set_num_threads(torch_threads_before)
        configure_progress(progress_before.console, progress_before.every_s)
    record = _write_record(run_dir, cfg, metrics, status, error, start, method_cls.needs_target)
    metric = cfg.optimized_metric or method_cls.default_optimized_metric
    worst = worst_value(method_cls.maximizes(metric))
    objective = float(metrics.get(metric, worst)) if status == "ok" else worst
    if status == "ok" and metric not in metrics:
        notes.append(f"optimized_metric={metric} is not among the final metrics {sorted(metrics)}")
    return RunResult(status, record, objective, run_dir, error, notes)


def run_to_completion(
    raw: dict[str, Any], run_dir: Path, extra_callbacks: Sequence[L.Callback] = ()
) -> RunResult:
    """``run`` into ``run_dir``, which may hold an earlier attempt: a run whose ``metrics.json``
    says ``ok`` is not repeated, one interrupted after its first checkpoint continues from it (so
    it ends with the metrics of an uninterrupted run), any other starts over."""
    return run({**raw, "resume": False}, run_dir, extra_callbacks, skip_if_done=True)


def _run_method(
    raw: dict[str, Any],
    cfg: RunConfig,
    method_cls: type[MethodModule],
    run_dir: Path,
    device: torch.device,
    extra_callbacks: Sequence[L.Callback],
    notes: list[str],
    resume_step: int | None,
) -> dict[str, float]:
    """One method's lifecycle: target → data → module → fit → analysis → outputs; returns the
    final metrics."""
    target, source = _run_target(raw, cfg, method_cls, run_dir, notes)
    if target is not None:  # obtaining it may have drawn random numbers
        L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = build_datamodule(raw, cfg)
    name = safe_folder_name([cfg.run_name or default_run_name(cfg)], "run", MAX_RUN_NAME)
    run_logger = build_run_logger(cfg, run_dir, name, resume_step)
    try:
        ctx = RunContext(
            seed=cfg.seed,
            run_dir=run_dir,
            model_cfg=cfg.model,
            dataset_cfg=cfg.dataset,
            target=target,
            datamodule=datamodule,
            device=device,
            extras={"summary_writer": run_logger.summary_writer()},
        )
        module = method_cls(cfg.method, ctx)
        identity = target_identity(cfg, method_cls.needs_target)
        params = {**asdict_flat(cfg), **module.hparams_for_logging(), "run_name": name, **identity}
        run_logger.start(params)
        step = 0
        if module.max_steps > 0:
            trainer = _fit(module, cfg, ctx, run_dir, extra_callbacks, resume_step, run_logger)
            if not trainer.is_global_zero:  # a multi-process run: rank 0 evaluates and writes
                raise SecondaryRankDone
            step = trainer.global_step  # below the method's steps when trainer.max_steps caps it
        module.run_analysis()
        metrics = {k: float(v) for k, v in module.final_metrics().items()}
        context = [cfg.dataset.name, *([target_label(source)] if source is not None else [])]
        what = f"{cfg.method.name} on {cfg.model.name} ({'; '.join(context)})"
        steps = [f"{fit_steps(module, cfg)} steps"] if module.max_steps > 0 else []
        footer = figure_footer(run_dir, what, cfg.seed, *steps)
        save_figures(module.figures(), run_dir, run_logger.log_figure, step, footer)
        module.save_artifacts(run_dir)
        trained = module.trained_target()
        if trained is not None:
            save_target(run_dir / TARGET_FILE, trained, cfg.model, metrics)
            started = {} if source is None else {"started_from": source}
            record_target(run_dir, {"source": "this_run", **started}, None, cfg.model)
        run_logger.finish_run(params, metrics, step)
    finally:
        run_logger.close()
    return metrics


def _run_target(
    raw: dict[str, Any],
    cfg: RunConfig,
    method_cls: type[MethodModule],
    run_dir: Path,
    notes: list[str],
) -> tuple[torch.nn.Module | None, dict[str, str] | None]:
    """The network an analysis method works on and where it came from (recorded in the run
    folder); (None, None) for a method that needs none."""
    if not method_cls.needs_target:
        return None, None
    if cfg.target.hf_path is not None:
        target = load_hf_target(cfg.target.hf_path)
        check_method_fits_target(method_cls, cfg, target)
        notes.append(f"target loaded from the Hugging Face folder {cfg.target.hf_path}")
    else:
        target, how = obtain_target(
            raw, cfg, lambda train_raw, folder: run_to_completion(train_raw, folder).metrics
        )
        notes.append(how)
        log.info(how)
    source = target_source(cfg)
    record_target(run_dir, source, target, cfg.model)
    return target, source


def _write_record(
    run_dir: Path,
    cfg: RunConfig,
    metrics: dict[str, float],
    status: str,
    error: str | None,
    start: float,
    needs_target: bool,
) -> dict[str, Any]:
    """``metrics.json``: the finals, ``status``, wall time, and what ran on what: ``method``,
    ``model`` (the model option, or the Hugging Face model type), ``target`` (a given
    checkpoint or folder), ``seed``."""
    record: dict[str, Any] = {
        **metrics,
        "status": status,
        "wall_time_s": round(time.time() - start, 3),
        "method": cfg.method.name,
        **target_identity(cfg, needs_target),
        "seed": cfg.seed,
    }
    if error is not None:
        record["error"] = error
    write_json_atomic(run_dir / "metrics.json", record)
    return record
