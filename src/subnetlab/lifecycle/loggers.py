"""The run's experiment logger (``logger=tensorboard|csv|wandb|none``): Lightning writes the
training scalars through it, the runner adds the figures and the final metrics.

- TensorBoard: events in ``tb/<run name>/``; TensorBoard names a run after the folder that holds
  its events, so ``tensorboard --logdir outputs`` lists ``runs/<time>/tb/spd_tms_40_10,seed=3``.
  Each run is one HPARAMS session (its hyperparameters, status and the ``hp/*`` finals as
  scalars). No experiment summary is written: TensorBoard takes the first one it finds as the
  whole HPARAMS table, so the runs of other methods would lose their metric columns; without one
  it builds the table from every run's session (the union of their hyperparameters and scalars).
- CSV: ``csv/metrics.csv``.
- Weights & Biases: the same scalars, the config, the ``hp/*`` finals (also the run's summary)
  and the figures; files in ``wandb/``, offline with ``logger.mode=offline``.

Lightning adds an ``epoch`` scalar to every logged step; runs here are step-driven over endless
batch streams, so it is dropped.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger, WandbLogger
from torch import Tensor
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import LoggerSchema, RunConfig

#: the folder under a run folder that holds TensorBoard runs (one sub-folder per run name)
TENSORBOARD_DIR = "tb"


def _without_epoch(metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in metrics.items() if key != "epoch"}


class StepTensorBoardLogger(TensorBoardLogger):
    """Lightning's TensorBoard logger without the ``epoch`` scalar."""

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        super().log_metrics(_without_epoch(metrics), step)


class StepCSVLogger(CSVLogger):
    """Lightning's CSV logger without the ``epoch`` column."""

    # Lightning's CSVLogger already narrows its Logger base's signature (and ignores the same)
    def log_metrics(  # type: ignore[override]
        self, metrics: dict[str, Tensor | float], step: int | None = None
    ) -> None:
        super().log_metrics(_without_epoch(metrics), step)


class StepWandbLogger(WandbLogger):
    """Lightning's W&B logger without the ``epoch`` series."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Lightning passes ``anonymous`` to wandb.init even when unset; wandb warns it is ignored
        self._wandb_init.pop("anonymous", None)

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        super().log_metrics(_without_epoch(metrics), step)


def check_logger_available(logger: LoggerSchema) -> None:
    """Raise a ConfigError before any work when ``logger=wandb`` lacks its optional package."""
    if logger.name != "wandb":
        return
    try:
        import wandb  # noqa: F401
    except ImportError:
        raise ConfigError(
            "logger",
            "wandb",
            "tensorboard, csv or none (logger=wandb needs the wandb package: "
            "pip install 'subnetlab[wandb]')",
        ) from None


def default_run_name(cfg: RunConfig) -> str:
    """``run_name`` when run.py did not set one (a Python caller, a study's stage, a target
    trained on the fly): ``<method>_<model option or family>``."""
    return f"{cfg.method.name}_{cfg.model_option or cfg.model.name}"


def tensorboard_run_dir(run_dir: Path) -> Path:
    """The folder of a run folder that holds its TensorBoard events (``tb/<run name>/``).

    Raises:
        FileNotFoundError: the run wrote no TensorBoard events.
    """
    folders = sorted(p for p in (run_dir / TENSORBOARD_DIR).glob("*") if p.is_dir())
    if not folders:
        raise FileNotFoundError(f"no TensorBoard run under {run_dir / TENSORBOARD_DIR}")
    return folders[-1]


def _scalar_hparams(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, int | float | str | bool) else str(value)
        for key, value in params.items()
    }


def _finite_finals(metrics: dict[str, float]) -> dict[str, float]:
    return {
        f"hp/{key}": float(value)
        for key, value in metrics.items()
        if isinstance(value, int | float) and math.isfinite(value)
    }


class RunLogger:
    """One run's logger: the Lightning logger the Trainer gets (None for ``logger=none``) and what
    the runner writes through it besides the training scalars."""

    def __init__(self, lightning: Logger | None) -> None:
        self.lightning = lightning

    @property
    def takes_figures(self) -> bool:
        """Whether ``log_figure`` shows figures anywhere (TensorBoard, W&B)."""
        return isinstance(self.lightning, TensorBoardLogger | WandbLogger)

    def summary_writer(self) -> SummaryWriter | None:
        """TensorBoard's writer (text summaries a method adds), None for other loggers."""
        if isinstance(self.lightning, TensorBoardLogger):
            return self.lightning.experiment
        return None

    def start(self, params: dict[str, Any]) -> None:
        """W&B gets the run's hyperparameters as its config when the run starts (TensorBoard's
        HPARAMS session is written with the finals, ``finish_run``)."""
        if isinstance(self.lightning, WandbLogger):
            self.lightning.log_hyperparams(_scalar_hparams(params))

    def log_figure(self, name: str, pixels: np.ndarray, step: int) -> None:
        """A rendered figure (``pixels``: (H, W, 3) uint8, the PNG's own pixels, footer included)
        as ``figures/<name>`` at ``step``."""
        if isinstance(self.lightning, TensorBoardLogger):
            self.lightning.experiment.add_image(
                f"figures/{name}", pixels, global_step=step, dataformats="HWC"
            )
        elif isinstance(self.lightning, WandbLogger):
            self.lightning.log_image(key=f"figures/{name}", images=[pixels], step=step)

    def finish_run(self, params: dict[str, Any], metrics: dict[str, float], step: int) -> None:
        """The finals as ``hp/*`` scalars at ``step`` and, for TensorBoard, the run's HPARAMS
        session (its hyperparameters ``params`` and a success status)."""
        finals = _finite_finals(metrics)
        if isinstance(self.lightning, TensorBoardLogger):
            writer = self.lightning.experiment
            _, session_start, session_end = hparams(_scalar_hparams(params), finals)
            file_writer = writer._get_file_writer()
            file_writer.add_summary(session_start)
            file_writer.add_summary(session_end)
            for key, value in finals.items():
                writer.add_scalar(key, value, step)
        elif isinstance(self.lightning, WandbLogger):
            self.lightning.log_metrics(finals, step)

    def close(self) -> None:
        """Flush and close what the logger opened (a W&B run ends here, so the next run of the
        same process starts its own)."""
        if isinstance(self.lightning, TensorBoardLogger):
            self.lightning.experiment.close()
        elif isinstance(self.lightning, WandbLogger) and self.lightning._experiment is not None:
            self.lightning.experiment.finish()


def build_run_logger(
    cfg: RunConfig, run_dir: Path, run_name: str, resume_step: int | None
) -> RunLogger:
    """The logger of ``cfg.logger`` writing into ``run_dir``. ``resume_step``: a resumed run's
    checkpoint step (TensorBoard hides what the stopped run logged after it; W&B continues the
    run folder's W&B run, whose id derives from the folder)."""
    match cfg.logger.name:
        case "tensorboard":
            return RunLogger(
                StepTensorBoardLogger(
                    save_dir=str(run_dir),
                    name=TENSORBOARD_DIR,
                    version=run_name,
                    default_hp_metric=False,
                    purge_step=resume_step,
                )
            )
        case "csv":
            return RunLogger(StepCSVLogger(save_dir=str(run_dir), name="", version="csv"))
        case "wandb":
            import wandb  # the optional extra (check_logger_available said it is there)

            folder_id = hashlib.sha1(str(run_dir.resolve()).encode()).hexdigest()[:16]
            return RunLogger(
                StepWandbLogger(
                    name=run_name,
                    save_dir=str(run_dir),
                    id=folder_id,
                    project=cfg.logger.project,
                    entity=cfg.logger.entity,
                    mode=cfg.logger.mode,
                    tags=list(cfg.tags),
                    # W&B's header says where the run is; its end-of-run digest of every series
                    # would repeat the final-metrics table
                    settings=wandb.Settings(quiet=True),
                )
            )
    return RunLogger(None)
