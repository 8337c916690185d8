"""What a run prints: the overrides (or the whole config) and the run folder at the start, the
final metrics and folder at the end, and one line per failure.

Text that comes from outside (error messages, paths, metric names, config keys) is printed as
plain ``rich.text.Text``, never parsed as rich markup: an error such as ``[.../pair.cc:553]
Connection closed by peer`` prints as it is.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(stderr=False, highlight=False)

FIRST = ("method", "model", "dataset", "target", "trainer", "logger", "callbacks", "paths")


class _NotFileOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "file_only", False)


def keep_file_only_records_off_console() -> None:
    """Drop ``FILE_ONLY`` records from every console handler of the root logger (Hydra's job
    logging: a stream handler for the console, a file handler for run.log)."""
    for handler in logging.getLogger().handlers:
        # a plain StreamHandler is the console (Hydra's job logging); a subclass (pytest's or a
        # notebook's capturing handler) and a FileHandler keep every record
        console_handler = type(handler) is logging.StreamHandler
        if console_handler and not any(isinstance(f, _NotFileOnly) for f in handler.filters):
            handler.addFilter(_NotFileOnly())


def print_run_start(config: dict[str, Any], overrides: list[str], run_dir: str, full: bool) -> None:
    """What a run prints before it starts. Short (``print_config=short``): the method and model
    options, the command's overrides and the run folder; full: the whole resolved ``config`` as
    YAML, then the run folder. Nothing is wrapped or cropped, so paths stay whole in log files."""
    if full:
        ordered = {k: config[k] for k in FIRST if k in config}
        ordered.update({k: v for k, v in config.items() if k not in ordered})
        text = yaml.safe_dump(ordered, sort_keys=False, width=math.inf, allow_unicode=True)
        console.print(Text("config:", style="bold"))
        console.print(Text(text.rstrip()), soft_wrap=True)
    else:
        method = config.get("method") or {}
        model = config.get("model_option") or (config.get("model") or {}).get("name")
        given = " ".join(overrides) if overrides else "none"
        line = Text(f"method={method.get('name')} model={model}; overrides: {given}")
        console.print(
            line.append(" (the whole config: print_config=full)", style="dim"), soft_wrap=True
        )
    print_run_folder(run_dir)


def print_run_folder(run_dir: str) -> None:
    """``run folder: <path>`` on one line, whatever the console's width."""
    console.print(Text("run folder: ").append(run_dir, style="bold"), soft_wrap=True)


def print_error(prefix: str, message: str) -> None:
    """One line: ``prefix`` in bold red, then ``message`` as plain text (never wrapped by rich
    into several lines, never parsed as markup)."""
    line = Text(f"{prefix} ", style="bold red").append(" ".join(message.split()), style="")
    console.print(line, soft_wrap=True)


def print_summary(
    status: str, metrics: dict[str, Any], run_dir: str, error: str | None, notes: list[str]
) -> None:
    table = Table(title=Text(f"final metrics ({status})"), show_lines=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in sorted(metrics):
        if key == "error":  # printed below as the run's one failure line
            continue
        value = metrics[key]
        table.add_row(Text(key), Text(f"{value:.6g}" if isinstance(value, float) else str(value)))
    console.print(table)
    for note in notes:
        console.print(Text(note, style="dim"), soft_wrap=True)
    if error:
        print_error("run failed:", error)
    print_run_folder(run_dir)
