"""``python run.py [GROUP=OPTION ...] --help``: every knob of the selected options — key, type,
value, one-line help — read from the schemas, plus the options of every group.

Runs before Hydra's own argument handling and imports neither torch nor Lightning, so it answers
in about a second. Hydra's help is still there as ``--hydra-help``."""

from __future__ import annotations

import dataclasses
import re
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from subnetlab.schemas.base import defaults_of
from subnetlab.schemas.describe import (
    is_schema,
    optional_member,
    schema_fields,
    type_label,
    unannotate,
)
from subnetlab.schemas.registry import schemas
from subnetlab.schemas.run import FIXED_GROUPS, GROUPS, RunConfig
from subnetlab.schemas.store import store_schema_defaults

HELP_FLAGS = ("--help", "-h")
#: config groups listed with their options, in this order (those with a schema first)
LISTED_GROUPS = (*GROUPS, *FIXED_GROUPS, "experiment", "sweep", "debug", "hydra/launcher")
_MAX_WIDTH = {"key": 40, "type": 26, "value": 26}


def wants_knob_help(argv: Sequence[str]) -> bool:
    return any(arg in HELP_FLAGS for arg in argv)


@dataclasses.dataclass(frozen=True)
class Knob:
    key: str
    type: str
    value: str
    help: str
    changed: bool  # the selected options, an experiment or the command line set another value


def _show(value: Any) -> str:
    """A value as it is written on the command line / in YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else "''"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def knobs(
    cls: type, values: dict[str, Any], prefix: str, skip: Sequence[str] = ()
) -> Iterator[Knob]:
    """One Knob per field of schema ``cls`` (fields of nested schemas as dotted keys), with the
    value ``values`` gives it (the composed config) or else the schema default."""
    defaults = defaults_of(cls)
    for name, info in schema_fields(cls).items():
        if name in skip:
            continue
        key = f"{prefix}.{name}" if prefix else name
        value = values.get(name, defaults[name]) if isinstance(values, dict) else defaults[name]
        nested = optional_member(unannotate(info.annotation)[0])
        if is_schema(nested) and (isinstance(value, dict) or defaults[name] is not None):
            yield from knobs(nested, value if isinstance(value, dict) else {}, key)
            continue
        yield Knob(
            key=key,
            type=type_label(info.annotation, info.metadata),
            value=_show(value),
            help=info.description or "",
            changed=value != defaults[name],
        )


def _table(rows: list[Knob]) -> list[str]:
    width = {
        col: min(_MAX_WIDTH[col], max(len(getattr(r, col)) for r in rows))
        for col in ("key", "type", "value")
    }
    lines = []
    for r in rows:
        value = r.value + ("*" if r.changed else "")
        cells = [
            r.key.ljust(width["key"]),
            r.type.ljust(width["type"]),
            value.ljust(width["value"]),
        ]
        lines.append("  " + "  ".join(cells) + "  " + r.help)
    return lines


def _first_sentence(doc: str) -> str:
    paragraph = " ".join(doc.strip().split("\n\n")[0].split()).replace("``", "")
    return re.split(r"(?<=\.)\s+(?=[A-Z])", paragraph)[0]


def _option_lines(group: str, names: list[str]) -> list[str]:
    return textwrap.wrap(
        ", ".join(names), width=100, initial_indent=f"  {group:<15}", subsequent_indent=" " * 17
    )


def _options(conf_dir: Path, group: str) -> list[str]:
    return sorted(p.stem for p in (conf_dir / group).glob("*.yaml"))


def compose_for_help(conf_dir: Path, overrides: list[str]) -> DictConfig:
    """The config (with its hydra node) that ``overrides`` compose to, without running a job."""
    store_schema_defaults()
    with initialize_config_dir(config_dir=str(conf_dir), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


def single_run_overrides(argv: Sequence[str]) -> list[str]:
    """The key=value arguments, without Hydra flags and without sweeps (``seed=0,1`` lists the
    knobs of one job just the same)."""
    overrides = [a for a in argv if "=" in a and not a.startswith("-")]
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException:
        return overrides
    return [text for text, o in zip(overrides, parsed, strict=True) if not o.is_sweep_override()]


def _container(node: Any) -> Any:
    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)
    return node


def knob_help(argv: Sequence[str], conf_dir: Path) -> tuple[list[str], int]:
    """The lines ``--help`` prints and the exit code (2 when the options do not compose)."""
    overrides = single_run_overrides(argv)
    try:
        cfg = compose_for_help(conf_dir, overrides)
    except (HydraException, OmegaConfBaseException) as err:
        lines = [f"error: {str(err).splitlines()[0]}", "", "Options (GROUP=OPTION):"]
        for group in LISTED_GROUPS:
            lines += _option_lines(group, _options(conf_dir, group))
        return lines, 2
    choices = dict(cfg.hydra.runtime.choices)
    lines = [str(cfg.hydra.help.header).rstrip(), "", "Options (GROUP=OPTION; * = selected):"]
    for group in LISTED_GROUPS:
        chosen = choices.get(group)
        names = [f"{o}*" if o == chosen else o for o in _options(conf_dir, group)]
        lines += _option_lines(group, names)
    lines += [
        "",
        "Knobs of the selected options (key=value on the command line; value* = set by the",
        "option, an experiment or the command line instead of the schema default):",
    ]
    for group in (*GROUPS, *FIXED_GROUPS):
        node = _container(cfg.get(group))
        title = f"{group}={choices.get(group)}"
        if node is None:
            lines += ["", f"{title}: none selected (choose one with {group}=NAME)"]
            continue
        if group in GROUPS:
            cls = schemas(group).get(node.get("name"))
            if cls is None:
                lines += ["", f"{title}: {group}.name={node.get('name')!r} has no schema"]
                continue
        else:
            cls = FIXED_GROUPS[group]
        summary = _first_sentence(cls.__doc__ or "")
        lines += ["", f"{title}  ({summary})", *_table(list(knobs(cls, node, group)))]
    top = {
        str(k): _container(cfg.get(k)) for k in cfg if k not in ("hydra", *GROUPS, *FIXED_GROUPS)
    }
    run_knobs = list(knobs(RunConfig, top, "", skip=(*GROUPS, *FIXED_GROUPS)))
    lines += ["", "run (top-level keys)", *_table(run_knobs)]
    lines += [
        "",
        "Hydra's flags still apply: --cfg job (the composed config), -m/--multirun (sweeps),",
        "--info, --hydra-help.",
        str(cfg.hydra.help.footer).rstrip(),
    ]
    return lines, 0


def print_knob_help(argv: Sequence[str], conf_dir: Path) -> int:
    """Print the knob listing for ``argv``; returns the process exit code."""
    lines, code = knob_help(argv, conf_dir)
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:  # `run.py --help | head`: the reader has what it wanted
        sys.stdout = None  # nothing more is written to the pipe
    return code
