"""``method=finetune``: continue training a trained target on a (label-shifted) sequence task with
only some of its modules trainable, through the Lightning Trainer (so ``trainer.*`` and
``resume=true`` apply)."""

from __future__ import annotations

import copy
import fnmatch
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab import registry
from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.step_batches import StepBatches
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.errors import NonFiniteLossError, TargetCapabilityError
from subnetlab.schemas.base import ConfigError, flatten, to_dict
from subnetlab.schemas.finetune import FinetuneSchema
from subnetlab.training.sequence_training import evaluate, task_logits
from subnetlab.training.supervised_training import warmup_cosine_lr


def trainable_modules(model: nn.Module, patterns: list[str] | None) -> list[str]:
    """Names of the modules whose parameters train: those matching any fnmatch pattern and
    holding parameters (``patterns=None``: the whole model, ``""``)."""
    if patterns is None:
        return [""]
    return [
        name
        for name, module in model.named_modules()
        if name
        and any(fnmatch.fnmatch(name, p) for p in patterns)
        and any(True for _ in module.parameters())
    ]


def trainable_parameters(model: nn.Module, modules: list[str]) -> list[nn.Parameter]:
    """The parameters of the named modules, each once, in ``named_parameters`` order."""
    chosen = {id(p) for name in modules for p in model.get_submodule(name).parameters()}
    return [p for p in model.parameters() if id(p) in chosen]


def _index_sample(n_train: int, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """(min(batch_size, n_train),) long row indices of the train split, uniform with replacement."""
    return torch.randint(n_train, (min(batch_size, n_train),), generator=generator)


class FinetuneModule(MethodModule):
    """Fine-tunes a copy of ``ctx.target``; the copy is the run's ``target.pt``."""

    default_optimized_metric = "test_loss"
    higher_is_better = False
    maximized_metrics = frozenset({"test_accuracy", "before/test_accuracy"})
    needs_target = True
    trains = True

    # the (shifted) task's splits, non-persistent buffers: (n, T) inputs, (n,) or (n, T) targets
    train_inputs: torch.Tensor
    train_targets: torch.Tensor
    test_inputs: torch.Tensor
    test_targets: torch.Tensor

    @classmethod
    def check_target(cls, model: nn.Module, model_cfg: Any) -> None:
        if not any(True for _ in model.parameters()):
            raise TargetCapabilityError("fine-tuning needs a target with parameters")

    @classmethod
    def check_data(cls, dataset_cfg: Any) -> None:
        entry = registry.datasets().get(dataset_cfg.name)
        if entry is None or not issubclass(entry.produces, SequenceTask):
            names = sorted(
                n for n, e in registry.datasets().items() if issubclass(e.produces, SequenceTask)
            )
            raise ConfigError(
                "dataset", dataset_cfg.name, f"a sequence dataset for method=finetune: {names}"
            )

    @classmethod
    def check_options_for_target(cls, method_cfg: FinetuneSchema, model: nn.Module) -> None:
        if method_cfg.trainable is not None and not trainable_modules(model, method_cfg.trainable):
            names = [name for name, _ in model.named_modules() if name]
            raise ConfigError(
                "method.trainable",
                method_cfg.trainable,
                f"patterns matching modules with parameters, e.g. {names[:6]}",
            )

    def __init__(self, cfg: FinetuneSchema, ctx: RunContext) -> None:
        super().__init__()
        assert ctx.target is not None  # needs_target: the runner provides it
        task = getattr(ctx.datamodule, "task", None)
        if not isinstance(task, SequenceTask):
            raise ConfigError(
                "dataset",
                ctx.dataset_cfg.name,
                "a sequence dataset (modular_addition_seq, char_lm) for method=finetune",
            )
        self.check_options_for_target(cfg, ctx.target)
        self.cfg, self.seed = cfg, ctx.seed
        self.predict = task.predict
        self.batch_size = cfg.batch_size or ctx.dataset_cfg.batch_size
        shifted = task.shifted(cfg.label_shift)
        # buffers move with the module (onto the trainer's device) but stay out of checkpoints
        self.register_buffer("train_inputs", shifted.split.x_train, persistent=False)
        self.register_buffer("train_targets", shifted.split.y_train, persistent=False)
        self.register_buffer("test_inputs", shifted.split.x_test, persistent=False)
        self.register_buffer("test_targets", shifted.split.y_test, persistent=False)
        self.model = copy.deepcopy(ctx.target)
        self.trainable = trainable_modules(self.model, cfg.trainable)
        params = trainable_parameters(self.model, self.trainable)
        chosen = {id(p) for p in params}
        for p in self.model.parameters():
            p.requires_grad_(id(p) in chosen)
        self.n_trainable = sum(p.numel() for p in params)
        self._before = self._scores()
        self._after: dict[str, float] = {}

    @property
    def max_steps(self) -> int:
        return self.cfg.steps

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"method": to_dict(self.cfg)})

    def _scores(self) -> dict[str, float]:
        """Loss and accuracy of the model on the (shifted) test split."""
        return evaluate(self.model, self.test_inputs, self.test_targets, self.predict)

    def train_dataloader(self) -> StepBatches:
        """Row indices of the train split; batch t depends only on (seed, t), so a resumed run
        draws what an uninterrupted one would."""
        sample = partial(_index_sample, int(self.train_inputs.shape[0]))
        return StepBatches(sample, self.batch_size, self.seed, lambda: self.trainer.global_step)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        params = [p for p in self.model.parameters() if p.requires_grad]
        return torch.optim.AdamW(
            params, lr=self.cfg.lr, weight_decay=self.cfg.weight_decay, betas=(0.9, 0.98)
        )

    def lr_at_step(self, step: int) -> float:
        """Cosine decay to 0 over the steps this run makes (no warm-up)."""
        total = self.trainer.max_steps if self.trainer.max_steps > 0 else self.cfg.steps
        return warmup_cosine_lr(self.cfg.lr, step, total, 0)

    def on_train_start(self) -> None:
        self.model.train()

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        optimizer = self.optimizers()
        assert not isinstance(optimizer, list)  # configure_optimizers returns one
        for group in optimizer.param_groups:
            group["lr"] = self.lr_at_step(self.global_step)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        """batch: (B,) long row indices of the train split, on the module's device."""
        logits = task_logits(self.model, self.train_inputs[batch], self.predict)
        loss = F.cross_entropy(logits, self.train_targets[batch].reshape(-1))
        if not torch.isfinite(loss):
            raise NonFiniteLossError(
                f"fine-tuning loss became {float(loss)} at step {self.global_step}; lower method.lr"
            )
        if self.logs_this_step():
            self.log("train/loss", loss, prog_bar=True)
        return loss

    def run_analysis(self) -> None:
        self._after = self._scores()

    def final_metrics(self) -> dict[str, float]:
        return {
            "test_loss": self._after["loss"],
            "test_accuracy": self._after["accuracy"],
            "before/test_loss": self._before["loss"],
            "before/test_accuracy": self._before["accuracy"],
            "trainable_params": float(self.n_trainable),
        }

    def trained_target(self) -> nn.Module:
        return self.model
