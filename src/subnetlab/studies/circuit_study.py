"""The circuit study (Nainani 2024): train a target in one regime, then discover its circuit.

``experiment=circuit_study`` swaps ``method._target_`` to :class:`CircuitStudyModule`, which needs
no target from the runner: it trains ``model=mlp`` with the ``method.train`` block (the settings
of ``method=bimt``, ``train_type`` picking vanilla / l1 / l1_local / l1_swap / bimt), records what
training cost (wall time, peak memory, inference latency of the trained net per batch) and then
runs the circuit discovery of ``method=circuit``. The trained net is saved as the job's
``target.pt``, so other thresholds or algorithms can be tried on it with ``target.ckpt``.
"""

from __future__ import annotations

import torch

from subnetlab.data.tasks import build_task_data
from subnetlab.methods.base import RunContext
from subnetlab.methods.bimt.module import settings_from_schema
from subnetlab.methods.bimt.train_loop import train_bimt
from subnetlab.methods.circuit.module import CircuitModule
from subnetlab.methods.circuit.resources import PeakMemory, latency_ms
from subnetlab.models.mlp import MLP
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit import CircuitSchema


class CircuitStudyModule(CircuitModule):
    """Train the target (``method.train``), then find its circuit."""

    needs_target = False

    def __init__(self, cfg: CircuitSchema, ctx: RunContext) -> None:
        self._train_metrics: dict[str, float] = {}
        super().__init__(cfg, ctx)

    def _network(self) -> MLP:
        if self.cfg.train is None:
            raise ConfigError(
                "method.train", None, "a training block (the method=bimt settings) for the study"
            )
        torch.manual_seed(self.ctx.seed)
        return MLP(**self.ctx.model_cfg.model_kwargs())

    def prepare_network(self) -> None:
        train_cfg = self.cfg.train
        assert train_cfg is not None
        spec = build_task_data(self.ctx.dataset_cfg, self.ctx.seed)
        settings = settings_from_schema(train_cfg, spec.loss)
        with PeakMemory() as peak:
            result = train_bimt(self.network, spec.data, settings, self.ctx.seed)
        x_test = spec.data.x_test
        batch = x_test if self.network.embedding is not None else x_test.to(torch.float32)
        self.network.eval()
        latency = latency_ms(lambda: self.network(batch), self.cfg.latency_repeats)
        self._train_metrics = {
            "train_time_s": result.wall_time_s,
            "peak_train_memory_mb": peak.megabytes,
            "inference_latency_ms": latency,
            "inference_batch_size": float(len(batch)),
            **{f"target_{k}": v for k, v in result.metrics.items() if k != "wall_time_s"},
        }

    def final_metrics(self) -> dict[str, float]:
        return {**self._train_metrics, **super().final_metrics()}

    def trained_target(self) -> torch.nn.Module | None:
        return self.network
