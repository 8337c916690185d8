"""``method=circuit``: find the circuit of a trained layered MLP on its dataset's examples.

All work runs in ``run_analysis`` (nothing to fit): the target becomes a layered net
(:mod:`.target`), the dataset's clean examples (:mod:`.examples`) and their corrupted partners are
run through it once, the configured algorithm prunes its edges, and the circuit is scored
against the full model, the task (when the examples have targets) and, where one is known (a
symbolic task's formula, a planted target's circuit, or ``method.truth_file``), the true
circuit (:mod:`.analysis`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure

from subnetlab.data.probes import ProbeInputs, available_probes, probe_count
from subnetlab.data.tasks import TaskSpec, build_task_data
from subnetlab.methods.base import MethodModule, RunContext
from subnetlab.methods.errors import TargetCapabilityError
from subnetlab.models.planted_circuit import PlantedCircuitNet
from subnetlab.schemas.base import ConfigError, defaults_of, flatten, to_dict
from subnetlab.schemas.circuit import CircuitSchema
from subnetlab.utils.atomic_files import save_torch_atomic, write_text_atomic

from .analysis import CircuitAnalysis, analyse, check_settings, resolve_metric
from .edge_graph import EdgeGraph
from .examples import CircuitExamples, encoded_inputs, probe_examples
from .ground_truth import GroundTruth, load_truth_file
from .plots import draw_circuit, draw_sweep
from .target import LayeredTarget, layered_target
from .task import symbolic_ground_truth, task_examples

MASK_FILE = "circuit_mask.pt"
MASK_FORMAT = "subnetlab-circuit-mask/1"
DATASETS = (
    "a dataset whose split gives input tensors: a task dataset (symbolic_*, two_moons, "
    "modular_addition, permutation_s4, mnist) or one serving probe inputs (e.g. dataset=tensors "
    "dataset.path=inputs.pt, digits, mnist_images)"
)


class CircuitModule(MethodModule):
    """Circuit discovery on ``ctx.target`` (a layered MLP)."""

    default_optimized_metric = "faithfulness"
    higher_is_better = False
    needs_target = True

    @classmethod
    def check_target(cls, model: torch.nn.Module, model_cfg: Any) -> None:
        layered_target(model)

    def __init__(self, cfg: CircuitSchema, ctx: RunContext) -> None:
        super().__init__()
        self.cfg, self.ctx = cfg, ctx
        self.network = self._network()
        target = self._layered_target()
        self.examples = self._examples(target)
        self.truth = self._truth(target)
        self.metric_name = resolve_metric(cfg.metric, self.examples.task)
        check_settings(cfg, self.metric_name)
        self._analysis: CircuitAnalysis | None = None
        self._drawing = target.drawing

    def _network(self) -> torch.nn.Module:
        if self.ctx.target is None:
            raise ConfigError("target", None, "a trained layered MLP (target.ckpt=...)")
        return self.ctx.target

    def _layered_target(self) -> LayeredTarget:
        try:
            return layered_target(self.network)
        except TargetCapabilityError as err:
            raise ConfigError("target", type(self.network).__name__, str(err)) from None

    def _probe_count(self, available: int | None, where: str) -> int:
        """``method.probe_size`` examples of ``where`` (holding ``available``; None: drawn),
        null for all of them; the default takes at most what there is."""
        default = defaults_of(CircuitSchema)["probe_size"]
        return probe_count("method.probe_size", self.cfg.probe_size, default, available, where)

    def _task_spec(self) -> TaskSpec:
        dataset_cfg = self.ctx.dataset_cfg
        try:
            return build_task_data(dataset_cfg, self.ctx.seed)
        except FileNotFoundError as err:  # data the user must supply (MNIST's IDX files)
            data_dir = getattr(dataset_cfg, "data_dir", None)
            raise ConfigError(
                "dataset.data_dir", data_dir, f"a folder with the data: {err}"
            ) from err
        except ValueError:
            raise ConfigError("dataset", dataset_cfg.name, DATASETS) from None

    def _examples(self, target: LayeredTarget) -> CircuitExamples:
        """The clean examples of the run's dataset, checked against the target before work."""
        cfg, ctx = self.cfg, self.ctx
        name, datamodule = ctx.dataset_cfg.name, ctx.datamodule
        if datamodule is None:  # the task datasets: train and test tensors with targets
            spec = self._task_spec()
            rows = spec.data.x_train if cfg.split == "train" else spec.data.x_test
            size = self._probe_count(len(rows), f"the {cfg.split} split of dataset={name}")
            examples = task_examples(spec, cfg.split, size)
        elif isinstance(datamodule, ProbeInputs):
            if cfg.split != "test":
                raise ConfigError(
                    "method.split", cfg.split, f"test (dataset={name} serves held-out inputs only)"
                )
            size = self._probe_count(available_probes(datamodule), f"dataset={name}")
            examples = probe_examples(datamodule, cfg.split, size)
        else:
            raise ConfigError("dataset", name, DATASETS)
        try:
            encoded_inputs(target, examples)
        except ValueError as err:
            raise ConfigError(
                "dataset", name, f"examples that fit the target of widths {target.widths} ({err})"
            ) from None
        return examples

    def _truth(self, target: LayeredTarget) -> GroundTruth | None:
        """The true circuit: ``method.truth_file`` when given, else the planted target's, else
        the dataset's (if any)."""
        graph = EdgeGraph(tuple(target.widths))
        if self.cfg.truth_file is not None:
            try:
                return load_truth_file(self.cfg.truth_file, graph)
            except ValueError as err:
                raise ConfigError(
                    "method.truth_file",
                    self.cfg.truth_file,
                    f"a .pt file with one (d_out, d_in) bool edge mask per layer of widths "
                    f"{target.widths} ({err})",
                ) from None
        if isinstance(self.network, PlantedCircuitNet):
            return GroundTruth.from_edges(self.network.truth_edges, graph)
        return symbolic_ground_truth(self.ctx.dataset_cfg.name, target.widths)

    def hparams_for_logging(self) -> dict[str, Any]:
        return flatten({"circuit": to_dict(self.cfg)})

    def run_analysis(self) -> None:
        self.network.eval()
        target = layered_target(self.network)
        self._analysis = analyse(target, self.examples, self.cfg, self.ctx.seed, self.truth)

    def final_metrics(self) -> dict[str, float]:
        return {} if self._analysis is None else dict(self._analysis.metrics)

    def figures(self) -> dict[str, Figure]:
        analysis = self._analysis
        if analysis is None:
            return {}
        cfg = self.cfg
        title = f"{cfg.algorithm} tau={cfg.tau:g}: {int(analysis.metrics['edges_kept'])} edges"
        mask = analysis.result.mask
        outputs = None
        if self.examples.task == "classification":  # outputs are the classes
            outputs = [str(label) for label in range(analysis.net.widths[-1])]
        drawing = draw_circuit(self._drawing, analysis.net.weights, mask, title, outputs)
        figures = {"circuit": drawing}
        if analysis.sweep:
            figures["tau_sweep"] = draw_sweep(analysis.sweep)
        return figures

    def save_artifacts(self, run_dir: Path) -> None:
        analysis = self._analysis
        if analysis is None:
            return
        result = analysis.result
        payload = {
            "format": MASK_FORMAT,
            "algorithm": result.algorithm,
            "tau": result.tau,
            "metric": analysis.metric_name,
            "ablation": self.cfg.ablation,
            "widths": list(analysis.net.widths),
            "order": "task",
            "mask": [m.clone() for m in result.mask],
            "scores": [s.detach().clone() for s in result.scores],
        }
        save_torch_atomic(run_dir / MASK_FILE, payload)
        if analysis.sweep:
            write_text_atomic(run_dir / "circuit_sweep.json", json.dumps(analysis.sweep, indent=1))
