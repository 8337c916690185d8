"""How each model option is built and trained with its recipe (``method=train`` and targets
trained on the fly share this)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

import torch
from torch import nn

from subnetlab.data.sequence_tasks import build_sequence_task
from subnetlab.models.mlp import MLP
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS
from subnetlab.models.transformer import Transformer
from subnetlab.schemas.base import ConfigError
from subnetlab.training.image_training import train_image_classifier
from subnetlab.training.resid_mlp_training import train_resid_mlp
from subnetlab.training.sequence_training import train_sequence_model
from subnetlab.training.tms_training import train_tms

OnStep = Callable[[int, float], None]


def build_model(model_cfg: Any) -> nn.Module:
    """An untrained model of the configured architecture (for loading weights into)."""
    match model_cfg.name:
        case "tms":
            return TMS(model_cfg.n_features, model_cfg.n_hidden, model_cfg.n_hidden_layers)
        case "resid_mlp":
            return ResidMLP(
                model_cfg.n_features, model_cfg.d_embed, model_cfg.d_mlp, model_cfg.n_layers
            )
        case "mlp":
            return MLP(**model_cfg.model_kwargs())
        case "transformer":
            return Transformer(
                model_cfg.vocab_size,
                model_cfg.n_ctx,
                model_cfg.d_model,
                model_cfg.n_heads,
                model_cfg.d_mlp,
                model_cfg.n_layers,
            )
    raise ValueError(
        f"model {model_cfg.name!r} has no builder; known: tms, resid_mlp, mlp, transformer"
    )


def recipe_with_overrides(model_cfg: Any, overrides: dict[str, Any]) -> Any:
    """The model's recipe with the non-null ``overrides`` applied."""
    if getattr(model_cfg, "recipe", None) is None:
        raise ConfigError(
            "model.recipe",
            None,
            "a training recipe (steps, batch_size, lr, weight_decay, warmup_steps); "
            f"model={model_cfg.name} has none here: set one or pick an option that has one, "
            "e.g. model=mlp_digits",
        )
    return replace(model_cfg.recipe, **{k: v for k, v in overrides.items() if v is not None})


def train_with_recipe(
    model_cfg: Any,
    dataset_cfg: Any,
    seed: int,
    overrides: dict[str, Any] | None = None,
    on_step: OnStep | None = None,
) -> tuple[nn.Module, dict[str, float]]:
    """Train ``model_cfg`` on ``dataset_cfg``'s distribution; returns the model and a report."""
    recipe = recipe_with_overrides(model_cfg, overrides or {})
    match model_cfg.name:
        case "tms":
            model, report = train_tms(
                model_cfg.n_features,
                model_cfg.n_hidden,
                model_cfg.n_hidden_layers,
                steps=recipe.steps,
                batch_size=recipe.batch_size,
                lr=recipe.lr,
                weight_decay=recipe.weight_decay,
                feature_probability=dataset_cfg.feature_probability,
                n_candidates=recipe.n_candidates,
                probe_tolerance=recipe.probe_tolerance,
                seed=seed,
                on_step=on_step,
            )
            if report.features_learned < report.n_features:
                raise RuntimeError(
                    f"TMS target training left {report.n_features - report.features_learned} of "
                    f"{report.n_features} features unlearned in all {recipe.n_candidates} "
                    "candidates; "
                    "raise model.recipe.n_candidates or model.recipe.steps, or change target.seed"
                )
        case "resid_mlp":
            model, report = train_resid_mlp(
                model_cfg.n_features,
                model_cfg.d_embed,
                model_cfg.d_mlp,
                model_cfg.n_layers,
                steps=recipe.steps,
                batch_size=recipe.batch_size,
                lr=recipe.lr,
                weight_decay=recipe.weight_decay,
                feature_probability=dataset_cfg.feature_probability,
                seed=seed,
                on_step=on_step,
            )
        case "transformer":
            model, report = train_transformer(model_cfg, dataset_cfg, recipe, seed, on_step)
        case "mlp":
            model, report = train_image_classifier(model_cfg, dataset_cfg, recipe, seed, on_step)
        case _:
            raise ValueError(
                f"model {model_cfg.name!r} has no training recipe; known: tms, resid_mlp, "
                "transformer, mlp"
            )
    return model, {k: float(v) for k, v in asdict(report).items()}


def train_transformer(
    model_cfg: Any, dataset_cfg: Any, recipe: Any, seed: int, on_step: OnStep | None = None
) -> tuple[nn.Module, Any]:
    """A transformer trained on a sequence dataset (modular_addition_seq, char_lm)."""
    task = build_sequence_task(dataset_cfg)
    if model_cfg.vocab_size < task.vocab_size or model_cfg.n_ctx < task.seq_len:
        raise ValueError(
            f"model=transformer (vocab_size={model_cfg.vocab_size}, n_ctx={model_cfg.n_ctx}) "
            f"cannot read dataset={dataset_cfg.name} (vocabulary {task.vocab_size}, sequence "
            f"length {task.seq_len}); raise model.vocab_size / model.n_ctx"
        )
    torch.manual_seed(seed)
    model = build_model(model_cfg)
    report = train_sequence_model(model, task, recipe, seed, on_step=on_step)
    return model, report
