"""Run folder naming, and finding the folder a ``resume=true`` run continues."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf

from subnetlab.cli.output_folders import exit_unless_writable
from subnetlab.utils.folder_names import safe_folder_name

RUNS_SUBDIR = "runs"
MULTIRUNS_SUBDIR = "multiruns"


def _is_resume(arg: str) -> bool:
    return arg.split("=", 1)[0].lstrip("+~") == "resume"


def command_overrides(argv: list[str]) -> list[str]:
    """The key=value overrides of a command line, without flags and without ``resume``."""
    return [a for a in argv if "=" in a and not a.startswith("-") and not _is_resume(a)]


def wants_resume(argv: list[str]) -> bool:
    return any(
        _is_resume(a) and a.split("=", 1)[1].lower() in ("true", "1", "yes")
        for a in argv
        if "=" in a
    )


def find_resumable(runs_dir: Path, overrides: list[str]) -> Path | None:
    """The newest run folder that has a checkpoint and whose recorded overrides (minus
    ``resume``) equal ``overrides`` (a newer attempt killed before its first checkpoint is
    passed over)."""
    if not runs_dir.is_dir():
        return None
    for folder in sorted(runs_dir.iterdir(), reverse=True):
        recorded = folder / ".hydra" / "overrides.yaml"
        if not recorded.is_file() or not (folder / "checkpoints" / "last.ckpt").is_file():
            continue
        previous = yaml.safe_load(recorded.read_text()) or []
        if [o for o in previous if not _is_resume(o)] == overrides:
            return folder
    return None


def new_run_name(runs_dir: Path, now: datetime | None = None) -> str:
    """A new folder under ``runs_dir`` named after the time, created here: ``mkdir`` either makes
    it or fails, so runs started in the same second never share a folder (``_2``, ``_3``, ...)."""
    base = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    runs_dir.mkdir(parents=True, exist_ok=True)
    name, n = base, 1
    while True:
        try:
            (runs_dir / name).mkdir()
        except FileExistsError:
            n += 1
            name = f"{base}_{n}"
            continue
        return name


def run_id(output_dir: str) -> str:
    """Resolver ``${run_id:${paths.output_dir}}``: the folder name of this single run.

    Exits with one line (status 2) when ``runs/`` cannot be written: Hydra creates the folder
    next and would fail with a traceback."""
    runs_dir = Path(output_dir) / RUNS_SUBDIR
    exit_unless_writable(runs_dir, "paths.output_dir")
    argv = sys.argv[1:]
    if wants_resume(argv):
        found = find_resumable(runs_dir, command_overrides(argv))
        if found is not None:
            return found.name
    return new_run_name(runs_dir)


#: overrides that change how a sweep runs, not what it computes
_LAUNCH_ONLY = ("hydra/launcher", "hydra.launcher.", "hydra.sweep.", "paths.output_dir")
#: overrides left out of job folder names (where the run lives, not what it is)
_NOT_IN_JOB_NAME = ("resume", "paths.output_dir", "hydra")


def _key(override: str) -> str:
    return override.lstrip("+~").split("=", 1)[0]


def sweep_name(overrides: list[str]) -> str:
    """A folder name that is the same for the same sweep command (in any override order).

    Launcher choices are left out, so a sweep interrupted under one launcher can be finished
    under another, and its finished jobs are skipped."""
    kept = sorted(o for o in overrides if not o.lstrip("+~").startswith(_LAUNCH_ONLY))
    return safe_folder_name(kept, "defaults")


def _fixed_keys(sweep_overrides: list[str]) -> set[str]:
    """Keys the command sets to one value (not a sweep such as ``seed=0,1`` or ``range(3)``)."""
    try:
        parsed = OverridesParser.create().parse_overrides(sweep_overrides)
    except HydraException:  # Hydra has parsed them already; keep going with the plain keys
        return {_key(o) for o in sweep_overrides if "," not in o}
    return {o.key_or_group for o in parsed if not o.is_sweep_override()}


def job_name(job_overrides: list[str], sweep_overrides: list[str]) -> str:
    """A job's folder name: its overrides that the sweep varies (e.g. ``seed=1`` of ``seed=0,1``,
    a ``hydra.sweeper.params`` value or an Optuna trial's values), sorted by key."""
    fixed = _fixed_keys(sweep_overrides)
    hidden = fixed | {k for k in map(_key, job_overrides) if k.startswith(_NOT_IN_JOB_NAME)}
    varied = [o for o in job_overrides if _key(o) not in hidden]
    return safe_folder_name(sorted(varied, key=_key), "job")


def sweep_cli() -> list[str]:
    """Resolver ``${sweep_cli:}``: the sweep command's overrides. Cached in the sweep's config,
    so jobs in other processes (joblib, submitit) see the command, not their worker's argv."""
    return command_overrides(sys.argv[1:])


def sweep_id(cli: list[str], _root_: DictConfig) -> str:
    """Resolver ``${sweep_id:${sweep_cli:}}``: the sweep folder's name (``sweep_name``), once its
    parent ``multiruns/`` is known to be writable (else one line and exit status 2)."""
    paths = _root_.get("paths")
    if paths is not None and paths.get("output_dir") is not None:
        exit_unless_writable(Path(str(paths.output_dir)) / MULTIRUNS_SUBDIR, "paths.output_dir")
    return sweep_name(list(cli))


def register_resolvers() -> None:
    resolvers: dict[str, Callable[..., Any]] = {
        "run_id": run_id,
        "sweep_cli": sweep_cli,
        "sweep_id": sweep_id,
        "job_dir": lambda job, cli: job_name(list(job), list(cli)),
    }
    cached = ("run_id", "sweep_cli")  # evaluated once per command, then copied into each job
    for name, resolver in resolvers.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, resolver, use_cache=name in cached)
