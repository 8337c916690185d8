"""The SPD model: a frozen target plus rank-one subcomponents and CI functions for its matrices."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from subnetlab.methods.decomposition.losses import faithfulness_loss, reconstruction_mse
from subnetlab.methods.spd.components import (
    GateMLPs,
    LinearComponents,
    TiedComponents,
    gate_mlps_reference,
)
from subnetlab.methods.spd.losses import (
    draw_uniform,
    importance_minimality_loss,
    stochastic_masks,
)
from subnetlab.methods.spd.sigmoids import (
    hard_sigmoid,
    lower_leaky_hard_sigmoid,
    upper_leaky_hard_sigmoid,
)
from subnetlab.models.decomposable import (
    DecomposableModel,
    forward_recording,
    freeze_and_order,
)


def _key(name: str) -> str:
    return name.replace(".", "__")


@dataclass
class CausalImportance:
    """Per module (batch, C): ``lower`` (masks), ``upper`` (minimality), ``value`` (clamped CI)."""

    lower: dict[str, torch.Tensor]
    upper: dict[str, torch.Tensor]
    value: dict[str, torch.Tensor]
    row_weights: torch.Tensor | None = None  # weights of the rows (sum 1) when rows were merged
    inner: dict[str, torch.Tensor] | None = None  # layer input @ V, reused by the masked passes

    def l0(self, threshold: float) -> dict[str, float]:
        """Mean number of subcomponents with CI above ``threshold`` per datapoint."""
        out = {}
        for name, value in self.value.items():
            counts = (value > threshold).float().sum(-1)
            weights = self.row_weights
            out[name] = float(counts.mean() if weights is None else (counts * weights).sum())
        return out


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
        self.names = freeze_and_order(target, modules)  # forward order
        self.target = target
        weights = target.weights()
        gen = torch.Generator().manual_seed(seed)
        self.components = nn.ModuleDict()
        self.gates = nn.ModuleDict()
        owned: dict[str, LinearComponents] = {}
        for name in self.names:
            tied_to = target.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                if C[name] != C[tied_to]:
                    raise ValueError(f"tied modules {name} and {tied_to} need the same C")
                continue
            owned[name] = LinearComponents(weights[name], C[name], gen)
            self.components[_key(name)] = owned[name]
        for name in self.names:
            tied_to = target.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                self.components[_key(name)] = TiedComponents(owned[tied_to])
            self.gates[_key(name)] = GateMLPs(C[name], d_gate, gen)

    # --- parameters -----------------------------------------------------------------------------
    def vu(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        components = self.components[_key(name)]
        assert isinstance(components, LinearComponents | TiedComponents)
        return components.vu()

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
    def causal_importance(
        self, inputs: dict[str, torch.Tensor], plain: bool = False
    ) -> CausalImportance:
        """CI of every subcomponent from the target's layer inputs; ``plain`` uses the
        straightforward gate implementation (same values, slower)."""
        lower, upper, value, inners = {}, {}, {}, {}
        for name in self.names:
            V, _ = self.vu(name)
            gates = self.gates[_key(name)]
            assert isinstance(gates, GateMLPs)
            inners[name] = inner = inputs[name] @ V
            pre = gate_mlps_reference(inner, gates) if plain else gates(inner)
            lower[name] = lower_leaky_hard_sigmoid(pre)
            upper[name] = upper_leaky_hard_sigmoid(pre)
            value[name] = hard_sigmoid(pre.detach())
        return CausalImportance(lower, upper, value, inner=inners)

    @torch.no_grad()
    def target_forward(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Target output plus the input and (pre-bias) output of every decomposable matrix."""
        return forward_recording(self.target, x)

    def ci_of_inputs(self, x: torch.Tensor) -> CausalImportance:
        _, inputs, _ = self.target_forward(x)
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
        self,
        x: torch.Tensor,
        full_masks: dict[str, torch.Tensor],
        layer_masks: dict[str, torch.Tensor],
        target_outputs: dict[str, torch.Tensor],
        target_inner: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """All masked passes of one step in one stacked forward (1 + L copies of the batch).

        Copy 0 masks every module with ``full_masks``; copy 1+l masks only module l with
        ``layer_masks``. Work is shared: until the first masked module every copy is the target,
        so the batch stays unstacked (and broadcasts) until then, and its ``a V`` is the CI's
        (``target_inner``); copy 1+l reuses the target's cached outputs (``target_outputs``,
        pre-bias) for the modules before l; a fixed linear map that follows a module (the
        target's ``residual_readout``) folds into U. Returns (1 + L, batch, d_out).
        """
        weights = self.target.weights()
        index = {name: i for i, name in enumerate(self.names)}
        n_copies = 1 + len(self.names)
        unstacked_dim = x.dim()

        def apply(name: str, a: torch.Tensor, then: torch.Tensor | None = None) -> torch.Tensor:
            if name not in index:
                w_t = weights[name].T
                return a @ (w_t if then is None else w_t @ then)
            V, U = self.vu(name)
            if then is not None:
                U = U @ then
            masks = {0: full_masks[name], 1 + index[name]: layer_masks[name]}

            def unmasked(i: int) -> torch.Tensor:
                if a.dim() == unstacked_dim or i > 1 + index[name]:  # the target's own output
                    out = target_outputs[name]
                    return out if then is None else out @ then
                w_t = weights[name].T
                return a[i] @ (w_t if then is None else w_t @ then)

            shared_inner = None
            if a.dim() == unstacked_dim:  # every copy still equals the target here
                shared_inner = target_inner[name] if target_inner is not None else a @ V
            pieces = []
            for i in range(n_copies):
                if i not in masks:
                    pieces.append(unmasked(i))
                    continue
                inner = shared_inner if shared_inner is not None else a[i] @ V
                pieces.append((inner * masks[i]) @ U)
            return torch.stack(pieces)

        apply.folds_then = True  # type: ignore[attr-defined]
        return self.target.forward_with(x, apply)

    # --- losses -----------------------------------------------------------------------------------
    def _active_rows(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Rows to compute and their loss weights (summing to 1).

        When the target declares ``zero_input_fixed_point`` (an all-zero input reaches every
        decomposed matrix as zeros, so any mask gives the target's output), all-zero rows have
        zero reconstruction error and identical CI: one representative row weighted by their count
        gives the same loss and gradient as the full batch. Sparse toys are mostly all-zero rows.
        """
        batch = x.shape[0]
        if not getattr(self.target, "zero_input_fixed_point", False):
            index = torch.arange(batch, device=x.device)
            return x, index, torch.full((batch,), 1.0 / batch, device=x.device)
        active = x.flatten(1).ne(0).any(-1)
        index = torch.nonzero(active).squeeze(-1)
        n_zero = batch - index.numel()
        if n_zero == 0:
            return x, index, torch.full((batch,), 1.0 / batch, device=x.device)
        zero_index = torch.nonzero(~active)[:1].squeeze(-1)
        index = torch.cat([index, zero_index])
        weights = torch.ones(index.numel(), device=x.device)
        weights[-1] = n_zero
        return x[index], index, weights / batch

    def losses(
        self, x: torch.Tensor, pnorm: float, generator: torch.Generator, batched: bool = True
    ) -> tuple[dict[str, torch.Tensor], CausalImportance]:
        """Every SPD loss term on batch ``x`` (one fresh mask sample per stochastic term).

        ``batched=False`` is the plain implementation (whole batch, one full forward per masked
        pass, plain gate MLPs); it computes the same values from the same random draws and is the
        reference of the tests and the throughput benchmark. The returned CI covers the rows
        computed; ``row_weights`` of the result weigh them.
        """
        batch = x.shape[0]
        C = {name: self.vu(name)[0].shape[1] for name in self.names}
        active_rows, index, active_weights = self._active_rows(x)
        # random draws only for the rows whose masks matter: an all-zero row's output ignores
        # its masks, so it shares its representative's draw (the last row of `active_rows`)
        shapes: dict[str, tuple[int, ...]] = {n: (len(index), C[n]) for n in self.names}
        full_uniform = draw_uniform(shapes, generator, x.device)
        layer_uniform = draw_uniform(shapes, generator, x.device)
        if batched:
            rows, weights = active_rows, active_weights
        else:
            rows, weights = x, None
            draw_of_row = torch.full((batch,), len(index) - 1, device=x.device)
            draw_of_row[index] = torch.arange(len(index), device=x.device)
            full_uniform = {n: u[draw_of_row] for n, u in full_uniform.items()}
            layer_uniform = {n: u[draw_of_row] for n, u in layer_uniform.items()}
        target_out, inputs, outputs = self.target_forward(rows)
        ci = self.causal_importance(inputs, plain=not batched)
        full_masks = stochastic_masks(ci.lower, full_uniform)
        layer_masks = stochastic_masks(ci.lower, layer_uniform)
        if batched:
            outs = self.stacked_masked_forward(rows, full_masks, layer_masks, outputs, ci.inner)
            stochastic = reconstruction_mse(outs[0], target_out, weights)
            layerwise = reconstruction_mse(outs[1:], target_out.unsqueeze(0), weights)
        else:
            stochastic = reconstruction_mse(self.masked_forward(rows, full_masks), target_out)
            layerwise = torch.stack(
                [
                    reconstruction_mse(self.masked_forward(rows, {n: layer_masks[n]}), target_out)
                    for n in self.names
                ]
            ).mean()
        terms = {
            "faithfulness": faithfulness_loss(self.target_weights(), self.component_weights()),
            "stochastic_recon": stochastic,
            "stochastic_recon_layerwise": layerwise,
            "importance_minimality": importance_minimality_loss(ci.upper, pnorm, weights),
        }
        ci.row_weights = (
            weights if weights is not None else torch.full((batch,), 1.0 / batch, device=x.device)
        )
        return terms, ci
