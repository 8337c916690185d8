"""Writing the run contract's files: metrics.json, figures, the TensorBoard HPARAMS entry."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams

from subnetlab.utils.atomic_files import save_figure_atomic, write_text_atomic


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """``data`` as sorted, indented JSON (non-JSON values as their ``str``), written atomically in
    ``path``'s folder."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str))


def read_metrics(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "metrics.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def save_figures(
    figures: dict[str, Figure], run_dir: Path, writer: SummaryWriter | None, step: int
) -> list[str]:
    """PNG files under figures/ and images in TensorBoard; closes each figure."""
    folder = run_dir / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        save_figure_atomic(folder / f"{name}.png", fig, dpi=110, bbox_inches="tight")
        if writer is not None:
            writer.add_figure(f"figures/{name}", fig, global_step=step, close=False)
        plt.close(fig)
        written.append(name)
    return written


def _scalar_hparams(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in params.items():
        out[k] = v if isinstance(v, (int, float, str, bool)) else str(v)
    return out


def write_hparams(
    writer: SummaryWriter, params: dict[str, Any], metrics: dict[str, float], step: int
) -> None:
    """One HPARAMS entry whose metrics are the ``hp/*`` finals, plus those scalars."""
    finite = {
        f"hp/{k}": float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and math.isfinite(v)
    }
    exp, ssi, sei = hparams(_scalar_hparams(params), finite)
    file_writer = writer._get_file_writer()
    file_writer.add_summary(exp)
    file_writer.add_summary(ssi)
    file_writer.add_summary(sei)
    for key, value in finite.items():
        writer.add_scalar(key, value, step)
