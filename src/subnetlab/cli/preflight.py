"""Checks on the command line made before Hydra starts, for faults Hydra would only report as a
traceback from deep inside a plugin."""

from __future__ import annotations

import shutil
import sys


def check_launcher(argv: list[str]) -> None:
    """Exit with status 2 and one line when ``hydra/launcher=slurm`` is asked for on a machine
    without SLURM (no ``srun`` on the PATH)."""
    launchers = [a.split("=", 1)[1] for a in argv if a.lstrip("+~").startswith("hydra/launcher=")]
    if "slurm" in launchers and shutil.which("srun") is None:
        print(
            "error: hydra/launcher=slurm: SLURM was not found on this machine (no srun on the "
            "PATH); hydra/launcher=local runs the same jobs here, one subprocess each",
            file=sys.stderr,
        )
        sys.exit(2)
