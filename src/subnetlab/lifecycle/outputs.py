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

from subnetlab.analysis.figure_files import add_footer, png_pixels, render_png
from subnetlab.utils.atomic_files import write_bytes_atomic, write_text_atomic


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """``data`` as sorted, indented JSON (non-JSON values as their ``str``), written atomically in
    ``path``'s folder."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True, default=str))


def read_metrics(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "metrics.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def figure_footer(run_dir: Path, what: str, seed: str | int, *details: str) -> str:
    """The provenance line under every figure of a run: ``<parent>/<run folder> · <what> · seed
    <seed> · <details>...`` (``what``: e.g. ``spd on tms``; details: e.g. ``11000 steps``)."""
    return " · ".join([f"{run_dir.parent.name}/{run_dir.name}", what, f"seed {seed}", *details])


def save_figures(
    figures: dict[str, Figure],
    run_dir: Path,
    writer: SummaryWriter | None,
    step: int,
    footer: str,
) -> list[str]:
    """Each figure with ``footer`` under it (:func:`figure_footer`), rendered once: a PNG file
    under figures/ and the same pixels in TensorBoard (``figures/<name>``); closes each figure."""
    folder = run_dir / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        add_footer(fig, footer)
        png = render_png(fig)
        write_bytes_atomic(folder / f"{name}.png", png)
        if writer is not None:
            writer.add_image(f"figures/{name}", png_pixels(png), step, dataformats="HWC")
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
