"""The SPD model: a frozen target plus rank-one subcomponents and CI functions for its matrices."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from subnetlab.methods.spd.components import GateMLPs, LinearComponents, TiedComponents
from subnetlab.methods.spd.losses import (
    faithfulness_loss,
    importance_minimality_loss,
    reconstruction_mse,
    stochastic_masks,
)
from subnetlab.methods.spd.sigmoids import (
    hard_sigmoid,
    lower_leaky_hard_sigmoid,
    upper_leaky_hard_sigmoid,
)
from subnetlab.models.decomposable import DecomposableModel, forward_recording_inputs


def _key(name: str) -> str:
    return name.replace(".", "__")


@dataclass
class CausalImportance:
    """Per module (batch, C): ``lower`` (masks), ``upper`` (minimality), ``value`` (clamped CI)."""

    lower: dict[str, torch.Tensor]
    upper: dict[str, torch.Tensor]
    value: dict[str, torch.Tensor]


class SPDDecomposition(nn.Module):
    """Components and CI MLPs for every decomposed matrix of ``target``."""

    def __init__(
        self,
        target: DecomposableModel,
        modules: list[str],
        C: dict[str, int],
        d_gate: int,
        seed: int,
    ) -> None:
        super().__init__()
        assert isinstance(target, nn.Module)
        self.target = target
        for p in self.target.parameters():
            p.requires_grad_(False)
        weights = target.weights()
        unknown = [m for m in modules if m not in weights]
        if unknown:
            raise ValueError(f"modules {unknown} are not decomposable; allowed: {list(weights)}")
        self.names = [n for n in weights if n in modules]  # forward order
        gen = torch.Generator().manual_seed(seed)
        self.components = nn.ModuleDict()
        self.gates = nn.ModuleDict()
        for name in self.names:
            tied_to = target.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                if C[name] != C[tied_to]:
                    raise ValueError(f"tied modules {name} and {tied_to} need the same C")
                continue
            self.components[_key(name)] = LinearComponents(weights[name], C[name], gen)
        for name in self.names:
            tied_to = target.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                self.components[_key(name)] = TiedComponents(self.components[_key(tied_to)])
            self.gates[_key(name)] = GateMLPs(C[name], d_gate, gen)

    # --- parameters -----------------------------------------------------------------------------
    def vu(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        return self.components[_key(name)].vu()

    def component_weights(self) -> dict[str, torch.Tensor]:
        """Σ_c U_c V_c in the target's (d_out, d_in) layout."""
        out = {}
        for name in self.names:
            V, U = self.vu(name)
            out[name] = (V @ U).T
        return out

    def target_weights(self) -> dict[str, torch.Tensor]:
        weights = self.target.weights()
        return {n: weights[n] for n in self.names}

    def subcomponent_norms(self) -> dict[str, torch.Tensor]:
        """Frobenius norm of each rank-one subcomponent, ‖V_c‖·‖U_c‖, per module (C,)."""
        out = {}
        for name in self.names:
            V, U = self.vu(name)
            out[name] = V.norm(dim=0) * U.norm(dim=1)
        return out

    # --- causal importance ------------------------------------------------------------------------
    def causal_importance(self, inputs: dict[str, torch.Tensor]) -> CausalImportance:
        lower, upper, value = {}, {}, {}
        for name in self.names:
            V, _ = self.vu(name)
            pre = self.gates[_key(name)](inputs[name] @ V)
            lower[name] = lower_leaky_hard_sigmoid(pre)
            upper[name] = upper_leaky_hard_sigmoid(pre)
            value[name] = hard_sigmoid(pre)
        return CausalImportance(lower, upper, value)

    @torch.no_grad()
    def target_forward(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return forward_recording_inputs(self.target, x)

    def ci_of_inputs(self, x: torch.Tensor) -> CausalImportance:
        _, inputs = self.target_forward(x)
        return self.causal_importance(inputs)

    # --- masked forward passes --------------------------------------------------------------------
    def masked_forward(self, x: torch.Tensor, masks: dict[str, torch.Tensor]) -> torch.Tensor:
        """Forward with the modules in ``masks`` replaced by their masked components."""
        weights = self.target.weights()

        def apply(name: str, a: torch.Tensor) -> torch.Tensor:
            if name not in masks:
                return a @ weights[name].T
            V, U = self.vu(name)
            return ((a @ V) * masks[name]) @ U

        return self.target.forward_with(x, apply)

    def stacked_masked_forward(
        self, x: torch.Tensor, full_masks: dict[str, torch.Tensor], layer_masks: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """All masked passes of one step in one stacked forward (1 + L copies of the batch).

        Copy 0 masks every module with ``full_masks``; copy 1+l masks only module l with
        ``layer_masks``. Returns (1 + L, batch, d_out).
        """
        weights = self.target.weights()
        index = {name: i for i, name in enumerate(self.names)}
        n_copies = 1 + len(self.names)
        stacked = x.unsqueeze(0).expand(n_copies, *x.shape)

        def apply(name: str, a: torch.Tensor) -> torch.Tensor:
            out = a @ weights[name].T
            if name not in index:
                return out
            copies = [0, 1 + index[name]]
            V, U = self.vu(name)
            masks = torch.stack([full_masks[name], layer_masks[name]])
            masked = ((a[copies] @ V) * masks) @ U
            out = out.clone()
            out[copies] = masked
            return out

        return self.target.forward_with(stacked, apply)

    # --- losses -----------------------------------------------------------------------------------
    def losses(
        self, x: torch.Tensor, pnorm: float, generator: torch.Generator, batched: bool = True
    ) -> tuple[dict[str, torch.Tensor], CausalImportance]:
        """Every SPD loss term on batch ``x`` (one fresh mask sample per stochastic term)."""
        target_out, inputs = self.target_forward(x)
        ci = self.causal_importance(inputs)
        full_masks = stochastic_masks(ci.lower, generator)
        layer_masks = stochastic_masks(ci.lower, generator)
        if batched:
            outs = self.stacked_masked_forward(x, full_masks, layer_masks)
            stochastic = reconstruction_mse(outs[0], target_out)
            layerwise = reconstruction_mse(outs[1:], target_out.unsqueeze(0))
        else:
            stochastic = reconstruction_mse(self.masked_forward(x, full_masks), target_out)
            layerwise = torch.stack(
                [
                    reconstruction_mse(self.masked_forward(x, {n: layer_masks[n]}), target_out)
                    for n in self.names
                ]
            ).mean()
        terms = {
            "faithfulness": faithfulness_loss(self.target_weights(), self.component_weights()),
            "stochastic_recon": stochastic,
            "stochastic_recon_layerwise": layerwise,
            "importance_minimality": importance_minimality_loss(ci.upper, pnorm),
        }
        return terms, ci
