"""How each model option is built and trained with its recipe (``method=train`` and targets
trained on the fly share this)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from torch import nn

from subnetlab.methods.train.resid_mlp_training import train_resid_mlp
from subnetlab.methods.train.tms_training import train_tms
from subnetlab.models.resid_mlp import ResidMLP
from subnetlab.models.tms import TMS

OnStep = Callable[[int, float], None]


def build_model(model_cfg: Any) -> nn.Module:
    """An untrained model of the configured architecture (for loading weights into)."""
    match model_cfg.name:
        case "tms":
            return TMS(model_cfg.n_features, model_cfg.n_hidden, model_cfg.n_hidden_layers)
        case "resid_mlp":
            return ResidMLP(model_cfg.n_features, model_cfg.d_embed, model_cfg.d_mlp, model_cfg.n_layers)
    raise ValueError(f"model {model_cfg.name!r} has no builder; known: tms, resid_mlp")


def recipe_with_overrides(model_cfg: Any, overrides: dict[str, Any]) -> Any:
    """The model's recipe with the non-null ``overrides`` applied."""
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
                    f"{report.n_features} features unlearned in all {recipe.n_candidates} candidates; "
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
        case _:
            raise ValueError(f"model {model_cfg.name!r} has no training recipe; known: tms, resid_mlp")
    return model, {k: float(v) for k, v in asdict(report).items()}
