"""The Hydra task function behind ``python run.py ...``."""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from subnetlab.cli.console import (
    console,
    keep_file_only_records_off_console,
    print_error,
    print_run_folder,
    print_run_start,
    print_summary,
)
from subnetlab.cli.run_name import record_run_identity
from subnetlab.lifecycle.interrupts import RunInterrupted
from subnetlab.lifecycle.outputs import read_metrics, write_json_atomic
from subnetlab.lifecycle.runner import USER_ERRORS, run, worst_objective
from subnetlab.schemas.base import ConfigError
from subnetlab.utils.log_records import FILE_ONLY

log = logging.getLogger("subnetlab")


def _quiet_libraries() -> None:
    """Keep the console to what a researcher reads: no hardware banners or library tips."""
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    logging.getLogger("lightning.fabric").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    # a decomposition's frozen target stays in eval mode on purpose (SPDDecomposition.train)
    warnings.filterwarnings("ignore", message=".*in eval mode at the start of training.*")


def entry(cfg: DictConfig) -> float:
    """Run one job; returns the optimized metric (the worst value on failure) for sweepers.

    Every failure ends in one line on the console: bad input (exit 2), a failed run (exit 1, its
    record in metrics.json) or an unexpected error (exit 1, its traceback in run.log only)."""
    _quiet_libraries()
    keep_file_only_records_off_console()
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    multirun = hydra_cfg.mode == RunMode.MULTIRUN
    secondary = _secondary_rank()
    record_run_identity(cfg, hydra_cfg, save=not secondary)  # rank 0 writes the run's files
    try:
        raw = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as err:
        return _user_error(
            ConfigError("config", str(err).splitlines()[0], "resolvable values"),
            run_dir,
            multirun,
            math.inf,
        )
    assert isinstance(raw, dict)
    config: dict[str, Any] = {str(key): value for key, value in raw.items() if key != "hydra"}
    if not secondary:
        overrides = [str(o) for o in hydra_cfg.overrides.task]
        full = config.get("print_config") == "full"
        print_run_start(config, overrides, str(run_dir), full)
    try:
        result = run(config, run_dir, skip_if_done=multirun)
    except USER_ERRORS as err:
        return _user_error(err, run_dir, multirun, worst_objective(config))
    except RunInterrupted as interrupt:  # a signal stops this run and, in a sweep, the sweep
        record = read_metrics(run_dir) or {}
        console.print(
            f"interrupted: {record.get('error', interrupt)}", markup=False, soft_wrap=True
        )
        print_run_folder(str(run_dir))
        if multiprocessing.current_process().name != "MainProcess":
            # a joblib worker: a SystemExit would leave it idle in its pool; end the process
            logging.shutdown()
            sys.stdout.flush()
            os._exit(interrupt.exit_code)
        sys.exit(interrupt.exit_code)
    except Exception as err:  # a bug or the environment (e.g. a full disk) outside the run record
        log.error("run stopped by an unexpected error", exc_info=True, extra=FILE_ONLY)
        message = f"{err.__class__.__name__}: {err} (traceback in {run_dir / 'run.log'})"
        print_error("error:", message)
        if multirun:  # the sweep goes on
            _record_failure(run_dir, message)
            return worst_objective(config)
        sys.exit(1)
    if result.status == "secondary":  # rank > 0 of a multi-process run: rank 0 reports
        return result.objective
    print_summary(result.status, result.metrics, str(run_dir), result.error, result.notes)
    if result.status != "ok" and not multirun:
        sys.exit(1)
    return result.objective


def _secondary_rank() -> bool:
    """Whether this process is a rank > 0 that Lightning's DDP launcher started (it re-runs the
    command with the same run folder)."""
    return int(os.environ.get("LOCAL_RANK", "0")) > 0 or int(os.environ.get("NODE_RANK", "0")) > 0


def _user_error(err: Exception, run_dir: Path, multirun: bool, worst: float) -> float:
    print_error("error:", str(err))
    # every run folder has a status: Hydra made this one before the config could be checked
    _record_failure(run_dir, str(err))
    if multirun:  # the sweep goes on: hand back the worst value
        return worst
    sys.exit(2)


def _record_failure(run_dir: Path, error: str) -> None:
    """``status: failed`` in the job's metrics.json, when its folder can still be written (the
    failure being reported may be that it cannot: it is on the console then)."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic(run_dir / "metrics.json", {"status": "failed", "error": error})
    except OSError as err:
        print_error("error:", f"cannot record the failure in {run_dir}: {err}")
