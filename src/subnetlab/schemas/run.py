"""Schema of the top-level run config and of the trainer/logger/callbacks/target groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from subnetlab.schemas.base import ConfigError, from_dict, require
from subnetlab.schemas.registry import validate_group


@dataclass
class TrainerSchema:
    name: str = "cpu"
    accelerator: Literal["cpu", "gpu", "auto"] = "cpu"
    devices: int = 1
    strategy: Literal["auto", "ddp", "ddp_spawn"] = "auto"
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = "32-true"
    deterministic: bool = False
    max_steps: int | None = None  # caps the method's own step count (debug runs)
    log_every_n_steps: int = 50
    progress_bar: bool = True
    threads: int | None = None  # torch intra-op threads; null = torch's default

    def __post_init__(self) -> None:
        require(self.devices >= 1, "devices", self.devices, "an integer ≥ 1")
        require(
            self.max_steps is None or self.max_steps >= 1,
            "max_steps",
            self.max_steps,
            "null or an integer ≥ 1",
        )
        require(self.log_every_n_steps >= 1, "log_every_n_steps", self.log_every_n_steps, "≥ 1")
        require(self.threads is None or self.threads >= 1, "threads", self.threads, "null or ≥ 1")


@dataclass
class LoggerSchema:
    name: Literal["tensorboard", "csv", "none"] = "tensorboard"


@dataclass
class CallbacksSchema:
    name: str = "default"
    checkpoint: bool = True
    checkpoint_every_n_steps: int = 500
    figures_every_n_steps: int = 0  # 0: figures only at the end

    def __post_init__(self) -> None:
        require(
            self.checkpoint_every_n_steps >= 1,
            "checkpoint_every_n_steps",
            self.checkpoint_every_n_steps,
            "an integer ≥ 1",
        )
        require(
            self.figures_every_n_steps >= 0,
            "figures_every_n_steps",
            self.figures_every_n_steps,
            "an integer ≥ 0",
        )


@dataclass
class TargetSchema:
    ckpt: str | None = None  # a train/bimt run folder or its target.pt
    seed: int = 0  # seed of the target's training when it is trained on the fly
    cache: bool = True
    hf_path: str | None = None  # a local Hugging Face causal-LM folder as the target instead

    def __post_init__(self) -> None:
        require(
            self.hf_path is None or self.ckpt is None,
            "hf_path",
            self.hf_path,
            "null when target.ckpt is set (one target source)",
        )


@dataclass
class PathsSchema:
    root_dir: str = "."
    output_dir: str = "outputs"
    data_dir: str = "data"
    targets_dir: str = "outputs/targets"


@dataclass
class RunConfig:
    """Everything a run needs, validated. Group nodes are schema instances of their option."""

    method: Any
    model: Any
    dataset: Any
    seed: int = 0
    task_name: str = "run"
    optimized_metric: str | None = None
    resume: bool = False
    tags: list[str] = field(default_factory=list)
    trainer: TrainerSchema = field(default_factory=TrainerSchema)
    logger: LoggerSchema = field(default_factory=LoggerSchema)
    callbacks: CallbacksSchema = field(default_factory=CallbacksSchema)
    target: TargetSchema = field(default_factory=TargetSchema)
    paths: PathsSchema = field(default_factory=PathsSchema)
    study: Any = None  # a study option (conf/study/): a study's own knobs, or null for one run


GROUPS = ("method", "model", "dataset")
TOP_LEVEL_IGNORED = frozenset({"hydra"})


def validate_run_config(raw: dict[str, Any]) -> RunConfig:
    """Validate a resolved config dict (``hydra`` removed). Raises ConfigError."""
    data = {k: v for k, v in raw.items() if k not in TOP_LEVEL_IGNORED}
    groups = {}
    for group in GROUPS:
        if data.get(group) is None:
            raise ConfigError(group, None, f"a {group} option (choose one with {group}=NAME)")
        groups[group] = validate_group(group, data.pop(group))
    study = data.pop("study", None)
    if study is not None:
        groups["study"] = validate_group("study", study)
    placeholder = {g: None for g in groups}
    cfg = from_dict(RunConfig, {**data, **placeholder})
    for group, node in groups.items():
        setattr(cfg, group, node)
    require(cfg.seed >= 0, "seed", cfg.seed, "an integer ≥ 0")
    return cfg
