"""What the study scripts that run one sweep per named setting share: the ``--only`` choice of
settings and running their sweeps one after another (each sweep fills the cores itself)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from subnetlab.utils.arguments import parallel_jobs

from .progress import summary_lines
from .robustness_study import launch_sweep


def study_parser(
    prog: str, description: str, out: str, names: Sequence[str]
) -> argparse.ArgumentParser:
    """The options every such study takes: ``--out`` (default ``out``, resolved later), ``--only``
    (among ``names``), ``--n-jobs`` and ``--summarize-only``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(out),
        help=f"study folder (default: {out} under the current folder)",
    )
    parser.add_argument(
        "--only", default=",".join(names), help=f"comma-separated settings among {list(names)}"
    )
    parser.add_argument(
        "--n-jobs", type=parallel_jobs, default=-1, help="parallel jobs (-1: one per core)"
    )
    parser.add_argument(
        "--summarize-only", action="store_true", help="write the table of what has finished"
    )
    return parser


def print_written(written: dict[str, Path]) -> None:
    """The table's Markdown, then where each of its files is."""
    print(written["md"].read_text())
    for kind, path in written.items():
        print(f"{kind}: {path}")


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
