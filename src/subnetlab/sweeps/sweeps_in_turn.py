"""What the study scripts that run one sweep per named setting share: the ``--only`` choice of
settings and running their sweeps one after another (each sweep fills the cores itself)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from .progress import summary_lines
from .robustness_study import launch_sweep


def chosen_names(parser: argparse.ArgumentParser, only: str, names: Sequence[str]) -> list[str]:
    """The comma-separated setting names of ``--only``; a parser error (exit 2) naming the
    unknown ones and the allowed ones."""
    chosen = [n.strip() for n in only.split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown or not chosen:
        parser.error(f"--only: unknown setting(s) {unknown}; choose among {list(names)}")
    return chosen


def run_in_turn(sweeps: Sequence[tuple[str, list[str]]], out: Path) -> None:
    """Run each ``(name, command)`` sweep into ``out/<name>`` one after another, its whole output
    in ``out/<name>_sweep.log``, its job lines and summary on the console.

    Raises:
        SystemExit: a sweep that could not run (a failed job does not stop it).
    """
    start = time.perf_counter()
    for name, command in sweeps:
        print(f"{name}: {' '.join(command[1:])}", flush=True)
        _, process, reader = launch_sweep(name, command, out / f"{name}_sweep.log", start)
        code = process.wait()
        reader.join()
        if code != 0:
            raise SystemExit(f"the {name} sweep stopped with exit code {code}")
        for line in summary_lines(out / name):
            print(f"{name}: {line}", flush=True)
