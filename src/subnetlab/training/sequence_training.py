"""Training and evaluating sequence models (the transformer) on a next-token task."""

from __future__ import annotations

import torch
from torch import nn

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.split import Split
from subnetlab.registry import build_dataset, register_recipe
from subnetlab.training.supervised_training import LogitsFn, SupervisedTraining, evaluate_logits


def task_logits(model: nn.Module, inputs: torch.Tensor, predict: str) -> torch.Tensor:
    """Logits where the task is scored: (B, V) at the last position or (B·T, V) everywhere."""
    logits = model(inputs)
    if predict == "last":
        return logits[:, -1, :]
    return logits.reshape(-1, logits.shape[-1])


def logits_where_scored(predict: str) -> LogitsFn:
    """``task_logits`` for one kind of task, as the supervised loop's logits function."""
    return lambda model, inputs: task_logits(model, inputs, predict)


def evaluate(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, predict: str, batch: int = 1024
) -> dict[str, float]:
    """Mean cross-entropy (nats per prediction) and accuracy of ``model`` on a split."""
    return evaluate_logits(model, inputs, targets, logits_where_scored(predict), batch=batch)


@register_recipe("sequence")
class SequenceTraining(SupervisedTraining):
    """The supervised recipe on a sequence dataset (``modular_addition_seq``, ``char_lm``)."""

    def load_split(self) -> Split:
        model_cfg, dataset_cfg = self.model_cfg, self.dataset_cfg
        self.task = build_dataset(dataset_cfg, SequenceTask)
        task = self.task
        if model_cfg.vocab_size < task.vocab_size or model_cfg.n_ctx < task.seq_len:
            raise ValueError(
                f"model={model_cfg.name} (vocab_size={model_cfg.vocab_size}, "
                f"n_ctx={model_cfg.n_ctx}) cannot read dataset={dataset_cfg.name} (vocabulary "
                f"{task.vocab_size}, sequence length {task.seq_len}); raise model.vocab_size / "
                "model.n_ctx"
            )
        return task.split

    def logits(self, model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        return task_logits(model, inputs, self.task.predict)
