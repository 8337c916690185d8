"""SPD of a researcher's own network from Python (a notebook): ``subnetlab.spd.decompose``.

The same method module and Lightning Trainer as ``python run.py method=spd``; only the target
(any nn.Module) and the data (tensors) come from the caller instead of a config.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import torch
from matplotlib.figure import Figure

from subnetlab.analysis.figure_files import add_footer
from subnetlab.callbacks.progress import StepProgress
from subnetlab.data.user_batches import UserBatches
from subnetlab.methods.base import RunContext
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.methods.spd.decomposition import SPDDecomposition
from subnetlab.methods.spd.module import SPDModule, decomposable_names
from subnetlab.schemas.base import ConfigError, from_dict
from subnetlab.schemas.spd import SPDSchema


@dataclass
class SPDResult:
    """A trained decomposition: ``decomposition`` (components and CI functions; its ``target``
    is the frozen network), ``metrics`` (the final evaluation, the keys of a run's
    ``metrics.json``) and ``module`` (the Lightning module, for its ``figures()``)."""

    decomposition: SPDDecomposition
    metrics: dict[str, float]
    module: SPDModule = field(repr=False)

    @torch.no_grad()
    def causal_importance(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """CI of every subcomponent on inputs ``x``: module → (rows..., C), values in [0, 1]."""
        return self.decomposition.ci_of_inputs(x).value

    def figures(self) -> dict[str, Figure]:
        """The run's figures (per-matrix L0 and alive counts, reconstruction by mask, norms),
        each with a footer saying where it came from."""
        figures = self.module.figures()
        footer = (
            f"subnetlab.spd.decompose · {self.module.cfg.steps} steps · seed {self.module.seed}"
        )
        for figure in figures.values():
            add_footer(figure, footer)
        return figures


def decompose(
    model: torch.nn.Module,
    data: torch.Tensor | Iterable[torch.Tensor],
    modules: dict[str, int],
    *,
    steps: int = 2000,
    batch_size: int = 64,
    eval_data: torch.Tensor | None = None,
    seed: int = 0,
    accelerator: str = "cpu",
    precision: str = "32-true",
    output_dir: str | Path | None = None,
    progress: bool = True,
    **options: Any,
) -> SPDResult:
    """Stochastic Parameter Decomposition (arXiv:2506.20790) of ``model``.

    Args:
        model: any nn.Module; its nn.Linear, nn.Embedding and Hugging Face Conv1D modules are
            decomposable, addressed by their ``named_modules()`` names. It is frozen, not copied.
        data: inputs the model takes — a tensor (N, ...) to draw ``batch_size`` rows from per
            step, or a re-iterable of input batches (a DataLoader yielding tensors). Token ids
            (integer tensors) make the reconstruction a KL of next-token distributions; floats
            an MSE of outputs (``recon_loss`` overrides).
        modules: fnmatch pattern → C (subcomponents per matching matrix), e.g.
            ``{"blocks.*.mlp.*": 256}``; the first matching pattern wins.
        steps: optimisation steps. batch_size: rows per step for a tensor ``data``.
        eval_data: the batch the final evaluation uses (default: the first 256 rows of a
            tensor ``data``, or its first batch).
        seed: initialisation and mask draws. accelerator, precision: Lightning's (``"gpu"``,
            ``"bf16-mixed"`` for bf16 autocast).
        output_dir: where TensorBoard logs go (``<output_dir>/tb/spd_decompose``; default: none).
        options: any other ``method=spd`` knob (``python run.py method=spd --help``), e.g.
            ``coeffs={"importance_minimality": 1e-4}``, ``ci_fn="shared_mlp"``, ``pnorm=2.0``.

    Returns:
        SPDResult with the decomposition, its metrics and figures.

    Raises:
        ConfigError: an option is unknown or out of range, or the patterns match no matrix.
        ValueError: ``data`` is empty or not tensors.
    """
    method_cfg = _method_config(modules, steps, options)
    try:
        decomposable_names(model)
    except TargetCapabilityError as err:
        raise ConfigError("model", type(model).__name__, f"a network with {err}") from None
    SPDModule.check_options_for_target(method_cfg, model)
    datamodule = UserBatches(data, batch_size, eval_data, seed=seed)
    L.seed_everything(seed, verbose=False)
    ctx = RunContext(seed=seed, run_dir=Path(output_dir or "."), model_cfg=None, dataset_cfg=None)
    ctx.target, ctx.datamodule = model, datamodule
    module = SPDModule(method_cfg, ctx)
    logger: Any = False  # Lightning's own banner lines are noise in a notebook
    if output_dir is not None:
        logger = L.pytorch.loggers.TensorBoardLogger(
            str(output_dir), name="tb", version="spd_decompose"
        )
    with _quiet_lightning():
        trainer = L.Trainer(
            max_steps=steps,
            max_epochs=-1,
            accelerator=accelerator,
            devices=1,
            precision=precision,  # type: ignore[arg-type]
            logger=logger,
            callbacks=[StepProgress("SPD")] if progress else [],
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            limit_val_batches=0,
            log_every_n_steps=max(1, min(50, steps)),
        )
        trainer.fit(module, datamodule=datamodule)
    module.run_analysis()
    metrics = {k: float(v) for k, v in module.final_metrics().items()}
    return SPDResult(module.decomposition, metrics, module)


@contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Lightning's info lines (accelerator banner, tips) and its endless-data warnings off."""
    loggers = [logging.getLogger(name) for name in ("lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*LeafSpec.*")
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            # the frozen target stays in eval mode on purpose (SPDDecomposition.train)
            warnings.filterwarnings("ignore", message=".*in eval mode at the start of training.*")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _method_config(modules: dict[str, int], steps: int, options: dict[str, Any]) -> SPDSchema:
    """The validated ``method=spd`` config of a ``decompose`` call (one-line ConfigError naming
    the option, with a did-you-mean for a misspelt one)."""
    if not isinstance(modules, dict) or not modules:
        raise ConfigError("modules", modules, "a non-empty dict of fnmatch pattern → C")
    entries = [{"pattern": pattern, "C": C} for pattern, C in modules.items()]
    data = {"eval_every": max(steps, 1), **options, "modules": entries, "steps": steps}
    return from_dict(SPDSchema, data)
