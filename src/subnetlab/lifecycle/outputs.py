"""Writing the run contract's files: metrics.json and figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

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


#: where a rendered figure goes besides its file: (name, (H, W, 3) uint8 pixels, step); the
#: run's logger (TensorBoard, W&B)
FigureSink = Callable[[str, np.ndarray, int], None]


def save_figures(
    figures: dict[str, Figure],
    run_dir: Path,
    log_figure: FigureSink | None,
    step: int,
    footer: str,
) -> list[str]:
    """Each figure with ``footer`` under it (:func:`figure_footer`), rendered once: a PNG file
    under figures/ and the same pixels to ``log_figure`` (``figures/<name>``); closes each
    figure."""
    folder = run_dir / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        add_footer(fig, footer)
        png = render_png(fig)
        write_bytes_atomic(folder / f"{name}.png", png)
        if log_figure is not None:
            log_figure(name, png_pixels(png), step)
        plt.close(fig)
        written.append(name)
    return written
