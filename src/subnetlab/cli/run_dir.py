"""Run folder naming, and finding the folder a ``resume=true`` run continues."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import yaml
from omegaconf import OmegaConf

RUNS_SUBDIR = "runs"


def _is_resume(arg: str) -> bool:
    return arg.split("=", 1)[0].lstrip("+~") == "resume"


def command_overrides(argv: list[str]) -> list[str]:
    """The key=value overrides of a command line, without flags and without ``resume``."""
    return [a for a in argv if "=" in a and not a.startswith("-") and not _is_resume(a)]


def wants_resume(argv: list[str]) -> bool:
    return any(_is_resume(a) and a.split("=", 1)[1].lower() in ("true", "1", "yes") for a in argv if "=" in a)


def find_resumable(runs_dir: Path, overrides: list[str]) -> Path | None:
    """The newest run folder whose recorded overrides (minus ``resume``) equal ``overrides``."""
    if not runs_dir.is_dir():
        return None
    for folder in sorted(runs_dir.iterdir(), reverse=True):
        recorded = folder / ".hydra" / "overrides.yaml"
        if not recorded.is_file():
            continue
        previous = yaml.safe_load(recorded.read_text()) or []
        if [o for o in previous if not _is_resume(o)] == overrides:
            return folder
    return None


def new_run_name(runs_dir: Path, now: datetime | None = None) -> str:
    base = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    name, n = base, 1
    while (runs_dir / name).exists():
        n += 1
        name = f"{base}_{n}"
    return name


def run_id(output_dir: str) -> str:
    """Resolver ``${run_id:${paths.output_dir}}``: the folder name of this single run."""
    runs_dir = Path(output_dir) / RUNS_SUBDIR
    argv = sys.argv[1:]
    if wants_resume(argv):
        found = find_resumable(runs_dir, command_overrides(argv))
        if found is not None:
            return found.name
    return new_run_name(runs_dir)


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("run_id"):
        OmegaConf.register_new_resolver("run_id", run_id, use_cache=True)
