"""The APD model: a frozen target plus C factorised parameter components of its matrices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from subnetlab.methods.apd.attributions import (
    batch_topk_mask,
    component_effects,
    gradient_attributions,
    module_attributions,
    output_jacobians,
)
from subnetlab.methods.apd.components import (
    FactorisedComponents,
    TiedFactorisedComponents,
    component_matrices,
)
from subnetlab.methods.apd.losses import SchattenForm, schatten_p, simplicity_loss
from subnetlab.methods.decomposition.losses import faithfulness_loss, reconstruction_mse
from subnetlab.models.decomposable import (
    DecomposableModel,
    forward_recording,
    freeze_and_order,
)

AttributionSource = Literal["target", "components"]


def _key(name: str) -> str:
    return name.replace(".", "__")


@dataclass
class Attributions:
    """``total`` A_c(x) (batch, C); ``per_module`` A_{c,l}(x); ``target_output`` (batch, O)."""

    total: torch.Tensor
    per_module: dict[str, torch.Tensor]
    target_output: torch.Tensor


class APDDecomposition(nn.Module):
    """C parameter components, each a rank-``rank[l]`` copy A_c B_c of every decomposed matrix."""

    def __init__(
        self,
        target: DecomposableModel,
        modules: list[str],
        C: int,
        rank: dict[str, int],
        seed: int,
    ) -> None:
        super().__init__()
        self.names = freeze_and_order(target, modules)  # forward order
        self.target = target
        weights = target.weights()
        self.C = C
        gen = torch.Generator().manual_seed(seed)
        self.components = nn.ModuleDict()
        owned: dict[str, FactorisedComponents] = {}
        for name in self.names:
            tied_to = target.tied.get(name)
            if tied_to is None or tied_to not in self.names:
                owned[name] = FactorisedComponents(weights[name].detach(), C, rank[name], gen)
                self.components[_key(name)] = owned[name]
        for name in self.names:
            tied_to = target.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                self.components[_key(name)] = TiedFactorisedComponents(owned[tied_to])
        self.n_entries = sum(weights[n].numel() for n in self.names)

    # --- parameters -----------------------------------------------------------------------------
    def factors(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        components = self.components[_key(name)]
        assert isinstance(components, FactorisedComponents | TiedFactorisedComponents)
        return components.factors()

    def target_weights(self) -> dict[str, torch.Tensor]:
        weights = self.target.weights()
        return {n: weights[n] for n in self.names}

    def matrices(self, name: str) -> torch.Tensor:
        """Component matrices of one module, (C, d_out, d_in)."""
        return component_matrices(*self.factors(name))

    def summed_weights(self) -> dict[str, torch.Tensor]:
        """Σ_c P_c per module, (d_out, d_in)."""
        return {name: self.matrices(name).sum(0) for name in self.names}

    def component_norms(self) -> dict[str, torch.Tensor]:
        """Frobenius norm of each component's matrix per module, (C,)."""
        return {name: self.matrices(name).flatten(1).norm(dim=-1) for name in self.names}

    # --- forward passes ---------------------------------------------------------------------------
    def component_outputs(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """P_{c,l} a^l for every component: (batch, C, d_out_l)."""
        out = {}
        for name in self.names:
            A, B = self.factors(name)
            out[name] = torch.einsum("bi,cim,cmo->bco", inputs[name], A, B)
        return out

    def sparse_forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Forward with every decomposed matrix replaced by Σ_c mask_{b,c} P_c (mask (batch, C)),
        i.e. only the active components of each datapoint."""
        weights = self.target.weights()
        rows = [torch.nonzero(mask[:, c]).squeeze(-1) for c in range(self.C)]

        def apply(name: str, a: torch.Tensor) -> torch.Tensor:
            if name not in self.names:
                return a @ weights[name].T
            A, B = self.factors(name)
            out = a.new_zeros(a.shape[0], B.shape[-1])
            for c, active in enumerate(rows):  # only the active (datapoint, component) pairs
                if active.numel() > 0:
                    out = out.index_add(0, active, a[active] @ A[c] @ B[c])
            return out

        return self.target.forward_with(x, apply)

    @torch.no_grad()
    def target_output(self, x: torch.Tensor) -> torch.Tensor:
        return forward_recording(self.target, x)[0]

    # --- attributions -----------------------------------------------------------------------------
    @torch.no_grad()
    def attributions(
        self, x: torch.Tensor, source: AttributionSource = "target", chunk: int | None = None
    ) -> Attributions:
        """Gradient attributions on ``x``; gradients are taken in the target (``target``) or in
        the network with weights Σ_c P_c (``components``, the APD paper's TMS 5-2 adjustment)."""
        match source:
            case "target":
                weights = self.target.weights()
            case "components":
                weights = {**self.target.weights(), **self.summed_weights()}
            case _:
                raise ValueError(
                    f"unknown attribution source {source!r}; allowed: target, components"
                )
        jac = output_jacobians(self.target, x, weights, self.names, chunk)
        target_out = jac.output if source == "target" else self.target_output(x)
        effects = component_effects(jac.jacobians, self.component_outputs(jac.inputs))
        total = gradient_attributions(effects)
        return Attributions(total, module_attributions(effects), target_out)

    # --- losses -----------------------------------------------------------------------------------
    def losses(
        self,
        x: torch.Tensor,
        topk: float,
        schatten_pnorm: float,
        schatten_form: SchattenForm = "factor_norms",
        source: AttributionSource = "target",
        chunk: int | None = None,
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor, Attributions]:
        """Faithfulness, minimality (output MSE of the sparse forward) and simplicity on ``x``.

        Returns the terms, the top-k mask (batch, C) and the attributions it came from.
        """
        attr = self.attributions(x, source, chunk)
        mask = batch_topk_mask(attr.total, topk)
        sparse_out = self.sparse_forward(x, mask)
        schatten = {
            name: schatten_p(*self.factors(name), schatten_pnorm, schatten_form)
            for name in self.names
        }
        terms = {
            "faithfulness": faithfulness_loss(self.target_weights(), self.summed_weights()),
            "minimality": reconstruction_mse(sparse_out, attr.target_output),
            "simplicity": simplicity_loss(schatten, mask, self.n_entries),
        }
        return terms, mask, attr
