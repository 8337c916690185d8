"""Fine-tuning one GW group of blocks versus the whole network on a (shifted) task."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from torch import nn

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.training.sequence_training import evaluate, logits_where_scored
from subnetlab.training.supervised_training import fit_minibatches


@dataclass
class FinetuneResult:
    label: str  # "all" or "group <g>"
    blocks: list[str]  # the blocks trained ("all": every parameter of the model)
    trainable_params: int
    before: dict[str, float]  # test loss / accuracy before fine-tuning
    after: dict[str, float]


def trainable_parameters(model: nn.Module, blocks: list[str] | None) -> list[nn.Parameter]:
    """Every parameter (``blocks=None``) or those of the named submodules only."""
    if blocks is None:
        return list(model.parameters())
    modules = dict(model.named_modules())
    missing = [name for name in blocks if name not in modules]
    if missing:
        raise ValueError(f"blocks {missing} not found in the model")
    return [p for name in blocks for p in modules[name].parameters()]


def finetune(
    model: nn.Module,
    task: SequenceTask,
    blocks: list[str] | None,
    label: str,
    steps: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> FinetuneResult:
    """A copy of ``model`` trained ``steps`` AdamW steps (no weight decay) on ``task`` with only
    ``blocks`` (None: everything) trainable; the original model is left untouched."""
    tuned = copy.deepcopy(model)
    params = trainable_parameters(tuned, blocks)
    before = evaluate(tuned, task.split.x_test, task.split.y_test, task.predict)
    if steps > 0:
        recipe = SupervisedRecipe(
            steps=steps, batch_size=batch_size, lr=lr, weight_decay=0.0, warmup_steps=0
        )
        fit_minibatches(
            tuned,
            task.split.x_train,
            task.split.y_train,
            recipe,
            seed,
            logits_where_scored(task.predict),
            params,
        )
    after = evaluate(tuned, task.split.x_test, task.split.y_test, task.predict)
    names = blocks if blocks is not None else ["all"]
    return FinetuneResult(label, names, sum(p.numel() for p in params), before, after)
