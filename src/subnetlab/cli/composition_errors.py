"""One line, with the closest allowed names, for a command line Hydra cannot compose: an unknown
key (``method.lrr=0.1``) or an unknown option (``model=TMS``).

Hydra reports these itself, before the task function runs, with advice that is wrong here ("To
append to your config use +method.lrr=0.1": every group is a closed schema, so ``+`` only trades
Hydra's error for the schema's). :func:`run_reporting_composition_errors` asks Hydra to raise
instead (its documented ``HYDRA_FULL_ERROR`` switch) and answers those two errors itself; every
other error Hydra would report is reported as Hydra does. Imports neither torch nor Lightning."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra._internal.utils import get_args_parser
from hydra.errors import (
    CompactHydraException,
    ConfigCompositionException,
    HydraException,
    MissingConfigException,
)
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from subnetlab.cli.help import compose_for_help, single_run_overrides
from subnetlab.schemas.suggest import closest, did_you_mean

#: exit status of bad input (as for the schemas' ConfigError)
BAD_INPUT = 2
_FULL_ERROR = "HYDRA_FULL_ERROR"
_UNKNOWN_KEY = re.compile(
    r"Could not override '(?P<key>[^']+)'\.\nTo append to your config use \+(?P<line>.+)"
)
_UNKNOWN_DELETE = re.compile(r"Could not delete from config\. '(?P<key>[^']+)' does not exist\.")
_SWEPT_VALUE = re.compile(r"Ambiguous value for argument '(?P<override>[^']+)'")


def _key_of(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def _knob_help_hint(cfg: DictConfig | None, group: str) -> str:
    """How to list the knobs of ``group`` (the whole run when ``group`` is empty)."""
    if not group:
        return "run.py --help"
    choice = cfg.hydra.runtime.choices.get(group) if cfg is not None else None
    return f"run.py {group}={choice} --help" if choice else f"run.py {group}=OPTION --help"


def _unknown_key_line(key: str, shown: str, argv: Sequence[str], conf_dir: Path) -> str:
    """``shown`` (the override as typed): no such key, the closest keys beside it in the config
    composed without it, and how to list that group's knobs."""
    parent, _, name = key.rpartition(".")
    others = [o for o in single_run_overrides(argv) if _key_of(o) != key]
    try:
        cfg: DictConfig | None = compose_for_help(conf_dir, others)
    except (HydraException, OmegaConfBaseException):  # another fault: no suggestion then
        cfg = None
    node: Any = cfg
    for part in parent.split(".") if parent and cfg is not None else ():
        node = node.get(part) if isinstance(node, DictConfig) else None
    keys: list[str] = []
    if isinstance(node, DictConfig):
        keys = [str(k) for k in node if str(k) != "hydra" and not str(k).startswith("_")]
    suggestion = did_you_mean([f"{parent}.{k}" if parent else k for k in closest(name, keys)])
    group = parent.split(".")[0]
    return (
        f"{shown}: no such key"
        + (f"; {suggestion}" if suggestion else "")
        + f" (the keys: {_knob_help_hint(cfg, group)})"
    )


def _unknown_option_line(err: MissingConfigException) -> str | None:
    """``model=TMS: no such option; did you mean model=tms? (options: ...)``, or None when
    ``err`` is not about a group's option (e.g. a missing primary config)."""
    if not err.missing_cfg_file or not err.options:
        return None
    group, _, option = err.missing_cfg_file.rpartition("/")
    if not group:
        return None
    options = sorted(err.options)
    suggestion = did_you_mean([f"{group}={o}" for o in closest(option, options)])
    return (
        f"{group}={option}: no such option"
        + (f"; {suggestion}" if suggestion else "")
        + f" (options: {', '.join(options)})"
    )


def _prints_config(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks Hydra to print the config or its information instead of running."""
    args, _ = get_args_parser().parse_known_args(list(argv))
    return args.cfg is not None or args.info is not None


def explain(err: Exception, argv: Sequence[str], conf_dir: Path) -> str | None:
    """The one line (without ``error:``) for an unknown key or option, or None for any other
    error."""
    if isinstance(err, MissingConfigException):
        return _unknown_option_line(err)
    if not isinstance(err, ConfigCompositionException):
        return None
    message = str(err)
    unknown = _UNKNOWN_KEY.search(message)
    if unknown is not None:
        return _unknown_key_line(unknown["key"], unknown["line"], argv, conf_dir)
    deleted = _UNKNOWN_DELETE.search(message)
    if deleted is not None:
        return _unknown_key_line(deleted["key"], f"~{deleted['key']}", argv, conf_dir)
    swept = _SWEPT_VALUE.search(message)
    if swept is not None and _prints_config(argv):  # Hydra's advice "add --multirun" is refused
        return (
            f"{swept['override']}: --cfg and --info compose one run, so each key takes one value "
            "(a list is written key=[a,b]; a sweep's job configs: run.py -m ... saves each in its "
            "folder's .hydra/config.yaml)"
        )
    return None


def _report_as_hydra_does(err: Exception) -> None:
    """Hydra's own report of an error it raises before the task function: its message (and the
    OmegaConf error under it), exit status 1; anything else keeps its traceback."""
    if not isinstance(err, CompactHydraException):
        raise err
    sys.stderr.write(f"{err}\n")
    if isinstance(err.__cause__, OmegaConfBaseException):
        sys.stderr.write(f"{err.__cause__}\n")
    sys.exit(1)


def run_reporting_composition_errors(
    main: Callable[[], Any], argv: Sequence[str], conf_dir: Path
) -> None:
    """Call the ``@hydra.main`` function ``main``; an unknown key or option on the command line
    ``argv`` ends in one line on stderr naming it and the closest allowed names, exit status 2.

    With ``HYDRA_FULL_ERROR=1`` already set (someone debugging) Hydra's tracebacks are left as
    they are. Processes this run starts inherit the switch; they compose the command that has
    just composed here."""
    if os.environ.get(_FULL_ERROR) == "1":
        main()
        return
    os.environ[_FULL_ERROR] = "1"
    try:
        main()
    except Exception as err:
        os.environ.pop(_FULL_ERROR, None)
        line = explain(err, argv, conf_dir)
        if line is None:
            _report_as_hydra_does(err)
        print(f"error: {line}", file=sys.stderr)
        sys.exit(BAD_INPUT)
    finally:
        os.environ.pop(_FULL_ERROR, None)
