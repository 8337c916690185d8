"""What a run prints: the config tree at the start, the final metrics and folder at the end."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.tree import Tree

console = Console(stderr=False, highlight=False)

FIRST = ("method", "model", "dataset", "target", "trainer", "logger", "callbacks", "paths")


def print_config_tree(cfg: DictConfig) -> None:
    tree = Tree("[bold]config[/bold]")
    keys = [k for k in FIRST if k in cfg] + [k for k in cfg if k not in FIRST and k != "hydra"]
    for key in keys:
        node = cfg[key]
        text = OmegaConf.to_yaml(node, resolve=True) if isinstance(node, DictConfig) else f"{node}\n"
        tree.add(f"[cyan]{key}[/cyan]").add(Syntax(text.rstrip(), "yaml", theme="ansi_dark"))
    console.print(tree)


def print_summary(status: str, metrics: dict[str, Any], run_dir: str, error: str | None, notes: list[str]) -> None:
    table = Table(title=f"final metrics ({status})", show_lines=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in sorted(metrics):
        value = metrics[key]
        table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    console.print(table)
    for note in notes:
        console.print(f"[dim]{note}[/dim]")
    if error:
        console.print(f"[bold red]run failed:[/bold red] {error}")
    console.print(f"run folder: [bold]{run_dir}[/bold]")
