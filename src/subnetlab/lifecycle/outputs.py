"""Writing the run contract's files: metrics.json and figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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


#: where a figure goes besides its file: (name, figure, step); the run's logger
FigureSink = Callable[[str, Figure, int], None]


def save_figures(
    figures: dict[str, Figure], run_dir: Path, log_figure: FigureSink | None, step: int
) -> list[str]:
    """PNG files under figures/ and, through ``log_figure``, the run's logger (TensorBoard, W&B);
    closes each figure."""
    folder = run_dir / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures.items():
        save_figure_atomic(folder / f"{name}.png", fig, dpi=110, bbox_inches="tight")
        if log_figure is not None:
            log_figure(name, fig, step)
        plt.close(fig)
        written.append(name)
    return written
