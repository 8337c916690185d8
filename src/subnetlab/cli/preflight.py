"""Checks on the command line made before Hydra starts, for faults Hydra would only report as a
traceback from deep inside a plugin or its own argument handling."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence

from hydra._internal.utils import get_args_parser

#: exit status of bad input (as for the schemas' ConfigError)
BAD_INPUT = 2
#: Hydra's flags that each choose what the command does; it takes at most one of them
_COMMAND_FLAGS = {
    "run": "-r/--run",
    "multirun": "-m/--multirun",
    "cfg": "--cfg",
    "info": "--info",
    "shell_completion": "-sc/--shell-completion",
}
_WHAT_HYDRA_DOES = (
    "Hydra does one thing per command: a run (the default, or -r), a sweep (-m), print the config "
    "(--cfg job|hydra|all), print Hydra's information (--info [TOPIC]) or shell completion (-sc)"
)
# Hydra has no flag that prints a sweep's configs: --cfg and --info compose one run, and refuse
# a swept value (seed=0,1) as ambiguous
_ONE_JOB = (
    "--cfg and --info compose one run, not a sweep; for one job of a sweep give --cfg job one "
    "value of each swept key (seed=3, not seed=0,1,2), --cfg hydra shows a sweep option's "
    "hydra.sweeper.params, and a sweep saves each job's config in its folder's .hydra/config.yaml"
)


def _exit_bad_input(line: str) -> None:
    print(f"error: {line}", file=sys.stderr)
    sys.exit(BAD_INPUT)


def check_launcher(argv: list[str]) -> None:
    """Exit with status 2 and one line when ``hydra/launcher=slurm`` is asked for on a machine
    without SLURM (no ``srun`` on the PATH)."""
    launchers = [a.split("=", 1)[1] for a in argv if a.lstrip("+~").startswith("hydra/launcher=")]
    if "slurm" in launchers and shutil.which("srun") is None:
        _exit_bad_input(
            "hydra/launcher=slurm: SLURM was not found on this machine (no srun on the "
            "PATH); hydra/launcher=local runs the same jobs here, one subprocess each"
        )


def _as_given(args: argparse.Namespace, flag: str) -> str:
    """A command flag as the user gave it, with its value (``--cfg job``, ``--info config``)."""
    value = getattr(args, flag)
    return f"{_COMMAND_FLAGS[flag]} {value}" if isinstance(value, str) else _COMMAND_FLAGS[flag]


def hydra_flag_conflict(argv: Sequence[str]) -> str | None:
    """The one line (without ``error:``) for Hydra flags that cannot go together in ``argv``
    (``-m --cfg job``, ``--cfg job --info``, ``--resolve`` without ``--cfg``), or None.

    ``argv`` is read with Hydra's own parser, so abbreviations (``--multi``) and short forms
    (``-c job``) count as Hydra counts them; a command line that parser refuses (``--cfg foo``)
    gets its usage and error, as Hydra would print them, exit status 2. Hydra's help flag wins,
    as in Hydra (``run.py``'s own ``--help`` is answered before this check)."""
    args = get_args_parser().parse_args(list(argv))
    if args.help or args.hydra_help:
        return None
    given = [flag for flag in _COMMAND_FLAGS if getattr(args, flag) not in (False, None)]
    if len(given) > 1:
        flags = " and ".join(_as_given(args, flag) for flag in given)
        if "multirun" in given and {"cfg", "info"} & set(given):
            return f"{flags} cannot be combined: {_ONE_JOB}"
        return f"{flags} cannot be combined: {_WHAT_HYDRA_DOES}"
    if args.resolve and args.cfg is None:
        return (
            "--resolve without --cfg: --resolve resolves the interpolations of the config that "
            "--cfg prints (--cfg job --resolve)"
        )
    return None


def check_hydra_flags(argv: list[str]) -> None:
    """Exit with status 2 and one line when Hydra's flags in ``argv`` cannot go together (Hydra
    itself raises a ValueError, printed as a traceback)."""
    line = hydra_flag_conflict(argv)
    if line is not None:
        _exit_bad_input(line)
