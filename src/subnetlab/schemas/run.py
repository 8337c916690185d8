"""Schema of the top-level run config and of the trainer/logger/callbacks/paths groups and the
``target`` block."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, ConfigError, from_dict, require, schema
from subnetlab.schemas.registry import validate_group


@schema
class TrainerSchema:
    """The Lightning Trainer of every run (``trainer=cpu|gpu|ddp|debug``)."""

    name: StrictStr = Field("cpu", description="the trainer option")
    accelerator: Literal["cpu", "gpu", "auto"] = Field("cpu", description="Lightning accelerator")
    devices: StrictInt = Field(1, ge=1, description="devices of one run (2+: use strategy=ddp)")
    strategy: Literal["auto", "ddp", "ddp_spawn"] = Field("auto", description="Lightning strategy")
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = Field(
        "32-true", description="Lightning precision"
    )
    deterministic: StrictBool = Field(False, description="deterministic torch algorithms")
    max_steps: StrictInt | None = Field(
        None, ge=1, description="caps the method's own step count (debug runs); null: no cap"
    )
    log_every_n_steps: StrictInt = Field(
        50, ge=1, description="steps between logged training scalars"
    )
    progress_bar: StrictBool = Field(
        True,
        description="progress on the console: a bar on a terminal, else plain lines (run.log: "
        "always)",
    )
    progress_every_s: StrictFloat = Field(
        30.0,
        ge=0.0,
        description="seconds between progress lines when stdout is not a terminal (0: every step)",
    )
    threads: StrictInt | None = Field(
        1,
        ge=1,
        description="torch intra-op threads; the toys are latency-bound (null: torch decides)",
    )


@schema
class LoggerSchema:
    """Where training scalars, figures and final metrics go (``logger=tensorboard|csv|wandb|none``).
    The W&B knobs are read by ``logger=wandb`` only."""

    name: Literal["tensorboard", "csv", "wandb", "none"] = Field(
        "tensorboard",
        description="the logger option: TensorBoard events, CSV files, Weights & Biases or nothing",
    )
    project: StrictStr = Field("subnetlab", description="W&B project of the run (logger=wandb)")
    entity: StrictStr | None = Field(
        None, description="W&B team or user (logger=wandb); null: your default entity"
    )
    mode: Literal["online", "offline"] = Field(
        "online",
        description="W&B online (after `wandb login`) or offline (run folder's wandb/; "
        "`wandb sync` later)",
    )


@schema
class CallbacksSchema:
    """Checkpoints and periodic figures (``callbacks=default|none``)."""

    name: StrictStr = Field("default", description="the callbacks option")
    checkpoint: StrictBool = Field(
        True, description="keep checkpoints/last.ckpt (what resume=true continues from)"
    )
    checkpoint_every_n_steps: StrictInt = Field(
        500, ge=1, description="steps between checkpoint saves"
    )
    figures_every_n_steps: StrictInt = Field(
        0, ge=0, description=">0: also log the method's figures to TensorBoard every N steps"
    )


@schema
class TargetSchema:
    """The trained network an analysis method (spd, apd, circuit, gw) works on."""

    ckpt: StrictStr | None = Field(
        None,
        description="a train/bimt run folder (or its target.pt); null = train with the model's "
        "recipe",
    )
    seed: StrictInt = Field(
        0, ge=0, le=MAX_SEED, description="seed of that on-the-fly training (not the run seed)"
    )
    cache: StrictBool = Field(True, description="reuse targets cached in paths.targets_dir")
    hf_path: StrictStr | None = Field(
        None,
        description="a local Hugging Face causal-LM folder as the target (with dataset=hf_text)",
    )

    @model_validator(mode="after")
    def _one_target_source(self) -> TargetSchema:
        require(
            self.hf_path is None or self.ckpt is None,
            "hf_path",
            self.hf_path,
            "null when target.ckpt is set (one target source)",
        )
        return self


@schema
class PathsSchema:
    """Where runs, data and cached targets live."""

    root_dir: StrictStr = Field(".", description="the project folder")
    output_dir: StrictStr = Field("outputs", description="run and sweep folders go below it")
    data_dir: StrictStr = Field("data", description="downloaded and local datasets")
    targets_dir: StrictStr = Field(
        "outputs/targets", description="cache of targets trained on the fly"
    )


@schema
class RunConfig:
    """Everything a run needs, validated. Group nodes are schema instances of their option."""

    method: Any = Field(None, description="the method option's settings (method=NAME)")
    model: Any = Field(None, description="the model option's settings (model=NAME)")
    dataset: Any = Field(None, description="the dataset option's settings (dataset=NAME)")
    seed: StrictInt = Field(
        0, ge=0, le=MAX_SEED, description="seed of the run (numpy, torch, Lightning)"
    )
    task_name: StrictStr = Field("run", description="a label of the run")
    optimized_metric: StrictStr | None = Field(
        None, description="final metric handed back to sweepers; null = the method's default"
    )
    resume: StrictBool = Field(
        False,
        description="continue the newest run folder of the same command from checkpoints/last.ckpt",
    )
    tags: list[StrictStr] = Field(default_factory=list, description="free-form labels")
    print_config: Literal["short", "full"] = Field(
        "short",
        description="before a run: short = the overrides and the run folder; full = the whole "
        "config",
    )
    model_option: StrictStr | None = Field(
        None,
        description="the model=OPTION composed (set by run.py; metrics.json's model); "
        "null: the family",
    )
    run_name: StrictStr | None = Field(
        None,
        description="name in TensorBoard (tb/<run_name>/) and W&B; run.py: method_model,overrides",
    )
    trainer: TrainerSchema = Field(default_factory=TrainerSchema, description="trainer group")
    logger: LoggerSchema = Field(default_factory=LoggerSchema, description="logger group")
    callbacks: CallbacksSchema = Field(
        default_factory=CallbacksSchema, description="callbacks group"
    )
    target: TargetSchema = Field(default_factory=TargetSchema, description="the analysed target")
    paths: PathsSchema = Field(default_factory=PathsSchema, description="paths group")
    study: Any = Field(
        None,
        description="a study option (study=NAME): several runs as one experiment; null: one run",
    )


#: groups whose option picks a schema through the registry (by the node's ``name``)
GROUPS = ("method", "model", "dataset")
#: groups that may stay unset (null): ``study=NAME`` runs a study instead of one method
OPTIONAL_GROUPS = ("study",)
#: groups with one schema for all their options
FIXED_GROUPS: dict[str, type] = {
    "trainer": TrainerSchema,
    "logger": LoggerSchema,
    "callbacks": CallbacksSchema,
    "paths": PathsSchema,
}
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
    cfg = from_dict(RunConfig, data)
    for group, node in groups.items():
        setattr(cfg, group, node)
    return cfg
