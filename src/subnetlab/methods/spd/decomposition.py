"""The SPD model: a frozen target plus rank-one subcomponents and CI functions for its matrices
(SPD, arXiv:2506.20790, §2), on any network whose matrices are nn.Linear, nn.Embedding or
Conv1D modules (``models/module_matrices.py``) or on a target that names its matrices itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from subnetlab.methods.decomposition.losses import (
    faithfulness_loss,
    reconstruction_kl,
    reconstruction_mse,
)
from subnetlab.methods.spd.adversarial import pgd_sources
from subnetlab.methods.spd.components import (
    GateMLPs,
    LinearComponents,
    SharedGateMLP,
    TiedComponents,
    gate_mlps_reference,
)
from subnetlab.methods.spd.fused_gates import GateWorkspace, JointCI, fused_causal_importance
from subnetlab.methods.spd.losses import importance_minimality_loss
from subnetlab.methods.spd.masks import (
    draw_uniform,
    draw_uniform_at_once,
    full_and_layer_masks,
    joint_mask_pairs,
    mask_pairs,
    stochastic_masks,
)
from subnetlab.methods.spd.sigmoids import (
    hard_sigmoid,
    leaky_hard_sigmoids,
    lower_leaky_hard_sigmoid,
    upper_leaky_hard_sigmoid,
)
from subnetlab.models.decomposable import (
    DecomposableModel,
    EmbeddedInput,
    freeze_and_order,
    read_input,
)
from subnetlab.models.module_matrices import as_decomposable

ReconLoss = Literal["mse", "kl"]
CIFunction = Literal["mlp", "shared_mlp"]


def _key(name: str) -> str:
    return name.replace(".", "__")


@dataclass(frozen=True)
class PGDSettings:
    """Adversarial masks: ``steps`` of sign-gradient ascent of size ``step_size`` on the mask
    sources r ∈ [0, 1] (from a uniform start) that maximise the all-modules reconstruction loss."""

    steps: int
    step_size: float


@dataclass
class CausalImportance:
    """Per module (rows..., C): ``lower`` (masks), ``upper`` (minimality), ``value``
    (clamped CI)."""

    lower: dict[str, torch.Tensor]
    upper: dict[str, torch.Tensor]
    value: dict[str, torch.Tensor]
    row_weights: torch.Tensor | None = None  # weights of the rows (sum 1) when rows were merged
    inner: dict[str, torch.Tensor] | None = None  # layer input @ V, reused by the masked passes
    joint: JointCI | None = None  # every matrix's CI side by side, when all their gates ran fused

    def l0(self, threshold: float) -> dict[str, float]:
        """Mean number of subcomponents with CI above ``threshold`` per datapoint (per token for
        sequences)."""
        out = {}
        for name, value in self.value.items():
            counts = (value > threshold).float().sum(-1)
            weights = self.row_weights
            out[name] = float(counts.mean() if weights is None else (counts * weights).sum())
        return out


def reconstruction(kind: ReconLoss) -> Callable[..., torch.Tensor]:
    """``loss(output, target_output, row_weights=None)`` of the chosen kind."""
    if kind == "kl":
        return lambda out, target, weights=None: reconstruction_kl(out, target)
    return reconstruction_mse


class SPDDecomposition(nn.Module):
    """Components and CI functions for every decomposed matrix of ``target``.

    ``target``: any nn.Module (its Linear / Embedding / Conv1D modules by name) or a toy that
    names its matrices. ``C``: subcomponents per module name. ``ci_fn``: ``mlp`` (the paper's
    scalar MLP per subcomponent, ``d_gate`` hidden units) or ``shared_mlp`` (one MLP per matrix
    from its input, ``ci_hidden`` units). ``delta_component``: the masked passes add the residual
    W − Σ U V under its own random mask per position.
    """

    def __init__(
        self,
        target: nn.Module,
        modules: list[str],
        C: dict[str, int],
        d_gate: int,
        seed: int,
        ci_fn: CIFunction = "mlp",
        ci_hidden: int = 256,
        delta_component: bool = False,
    ) -> None:
        super().__init__()
        decomposable = as_decomposable(target)
        self.names = freeze_and_order(decomposable, modules)  # forward order
        target.train(False)
        self.target: DecomposableModel = decomposable
        self.delta_component = delta_component
        weights = decomposable.weights()
        kinds: dict[str, str] = getattr(decomposable, "kinds", {})
        gen = torch.Generator().manual_seed(seed)
        self.components = nn.ModuleDict()
        self.gates = nn.ModuleDict()
        # reused storage of the fused gate MLPs, per group of fused matrices
        self._gate_workspaces: dict[tuple[str, ...], GateWorkspace] = {}
        owned: dict[str, LinearComponents] = {}
        for name in self.names:
            tied_to = decomposable.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                if C[name] != C[tied_to]:
                    raise ValueError(f"tied modules {name} and {tied_to} need the same C")
                continue
            owned[name] = LinearComponents(weights[name], C[name], gen)
            self.components[_key(name)] = owned[name]
        for name in self.names:
            tied_to = decomposable.tied.get(name)
            if tied_to is not None and tied_to in self.names:
                self.components[_key(name)] = TiedComponents(owned[tied_to])
            if ci_fn == "mlp":
                self.gates[_key(name)] = GateMLPs(C[name], d_gate, gen)
            else:
                d_in = weights[name].shape[1]
                one_hot = kinds.get(name) == "embedding"
                self.gates[_key(name)] = SharedGateMLP(d_in, C[name], ci_hidden, gen, one_hot)

    def train(self, mode: bool = True) -> SPDDecomposition:
        """The components and CI functions follow ``mode``; the target stays in eval mode (its
        dropout off, its norms on running statistics): SPD reconstructs one fixed function."""
        super().train(mode)
        assert isinstance(self.target, nn.Module)
        self.target.train(False)
        return self

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

    def fit_components_to_target(self, steps: int, lr: float) -> float:
        """Faithfulness warm-up: ``steps`` of AdamW (weight decay 0.1) on the subcomponents alone,
        minimising the faithfulness loss, so training starts from ΣUV ≈ W (the warm-up of the
        public SPD code that followed arXiv:2506.20790). Returns the final faithfulness loss."""
        params = [p for p in self.components.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.1)
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            loss = faithfulness_loss(self.target_weights(), self.component_weights())
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            return float(faithfulness_loss(self.target_weights(), self.component_weights()))

    def _faithfulness_of_owned(self) -> torch.Tensor:
        """The faithfulness loss (``faithfulness_loss``) from the matrices that own their
        components: a tied matrix's error is its owner's transposed, so it counts its owner's
        once more."""
        weights = self.target.weights()
        copies = dict.fromkeys(self.names, 1)
        for name in self.names:
            tied_to = self.target.tied.get(name)
            if tied_to is not None and tied_to in copies:
                copies[tied_to] += 1
                del copies[name]
        total = None
        for name, count in copies.items():
            V, U = self.vu(name)
            error = (weights[name].T - V @ U).flatten()
            squared = torch.dot(error, error) * count if count > 1 else torch.dot(error, error)
            total = squared if total is None else total + squared
        assert total is not None
        return total / sum(weights[n].numel() for n in self.names)

    # --- causal importance ------------------------------------------------------------------------
    def causal_importance(
        self, inputs: dict[str, torch.Tensor], plain: bool = False
    ) -> CausalImportance:
        """CI of every subcomponent from the target's layer inputs; ``plain`` uses the
        straightforward gate implementation (same values, slower), else the scalar gate MLPs of
        the matrices that share d_gate and leading shape run fused (``fused_gates.py``)."""
        lower, upper, value, inners = {}, {}, {}, {}
        groups: dict[tuple[int, tuple[int, ...]], list[str]] = {}
        for name in self.names:
            V, _ = self.vu(name)
            gates = self.gates[_key(name)]
            inners[name] = inner = read_input(inputs[name], V)
            if isinstance(gates, GateMLPs):
                if not plain:
                    key = (gates.w1.shape[1], tuple(inner.shape[:-1]))
                    groups.setdefault(key, []).append(name)
                    continue
                pre = gate_mlps_reference(inner, gates)
            else:
                layer_input = inputs[name]
                if isinstance(layer_input, EmbeddedInput):
                    layer_input = layer_input.formed()
                pre = gates(layer_input)
            if plain:
                lower[name] = lower_leaky_hard_sigmoid(pre)
                upper[name] = upper_leaky_hard_sigmoid(pre)
            else:
                lower[name], upper[name] = leaky_hard_sigmoids(pre)
            value[name] = hard_sigmoid(pre.detach())
        joint = None
        for members in groups.values():
            joint = self._fused_ci(members, inners)
            value_all = joint.lower.detach().clamp(min=0.0)  # = clamp(pre, 0, 1)
            for name, columns in zip(members, joint.columns(), strict=True):
                lead = inners[name].shape[:-1]
                lower[name] = joint.lower[:, columns].view(*lead, -1)
                upper[name] = joint.upper[:, columns].view(*lead, -1)
                value[name] = value_all[:, columns].view(*lead, -1)
        if len(groups) != 1 or joint is None or joint.names != self.names:
            joint = None
        lower, upper, value = ({n: d[n] for n in self.names} for d in (lower, upper, value))
        return CausalImportance(lower, upper, value, inner=inners, joint=joint)

    def _fused_ci(self, names: list[str], inners: dict[str, torch.Tensor]) -> JointCI:
        """The fused CI of ``names`` (scalar gate MLPs with one d_gate, inner activations with
        one leading shape)."""
        gates = [self.gates[_key(n)] for n in names]
        assert all(isinstance(g, GateMLPs) for g in gates)
        workspace = self._gate_workspaces.setdefault(tuple(names), GateWorkspace())
        lower, upper = fused_causal_importance(
            [inners[n].flatten(0, -2) for n in names],
            [g.w1 for g in gates],  # type: ignore[misc]
            [g.b1 for g in gates],  # type: ignore[misc]
            [g.w2 for g in gates],  # type: ignore[misc]
            [g.b2 for g in gates],  # type: ignore[misc]
            workspace,
        )
        return JointCI(list(names), [inners[n].shape[-1] for n in names], lower, upper)

    @torch.no_grad()
    def target_forward(
        self, x: torch.Tensor, fold: bool = False
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """Target output plus the input and (pre-bias) output of every decomposed matrix.

        ``fold`` (the stacked passes): a fixed embedding before the matrices stays factored (the
        inputs it reaches are EmbeddedInputs) and a fixed read-out after a matrix folds into it
        (that matrix's recorded output is the read-out's)."""
        weights = self.target.weights()
        decomposed = set(self.names)
        inputs: dict[str, torch.Tensor] = {}
        outputs: dict[str, torch.Tensor] = {}

        def apply(name: str, a: torch.Tensor, then: torch.Tensor | None = None) -> torch.Tensor:
            w_t = weights[name].T
            out = read_input(a, w_t if then is None else w_t @ then)
            if name in decomposed:
                inputs[name], outputs[name] = a, out
            return out

        if fold:
            apply.folds_then = apply.folds_embedding = True  # type: ignore[attr-defined]
        return self.target.forward_with(x, apply), inputs, outputs

    def ci_of_inputs(self, x: torch.Tensor) -> CausalImportance:
        _, inputs, _ = self.target_forward(x)
        return self.causal_importance(inputs)

    # --- masked forward passes --------------------------------------------------------------------
    def masked_forward(
        self,
        x: torch.Tensor,
        masks: dict[str, torch.Tensor],
        delta_masks: dict[str, torch.Tensor] | None = None,
        target_inner: dict[str, torch.Tensor] | None = None,
        target_outputs: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Forward with the modules in ``masks`` replaced by their masked subcomponents (masks
        (rows..., C)), plus, where ``delta_masks`` (rows...) are given, the residual
        W − Σ U V scaled by them.

        Until the first masked module runs, every module sees the target's input (the target is
        deterministic in eval mode), so there ``target_outputs`` (pre-bias, from
        ``target_forward``) and ``target_inner`` (the CI's a V) stand in for the products when
        given: the same values, fewer matrix products."""
        weights = self.target.weights()
        diverged = False

        def cached(found: dict[str, torch.Tensor] | None, name: str) -> torch.Tensor | None:
            return None if diverged or found is None else found.get(name)

        def apply(name: str, a: torch.Tensor) -> torch.Tensor:
            nonlocal diverged
            cached_out = cached(target_outputs, name)
            if name not in masks:
                return cached_out if cached_out is not None else read_input(a, weights[name].T)
            cached_inner = cached(target_inner, name)
            V, U = self.vu(name)
            inner = cached_inner if cached_inner is not None else read_input(a, V)
            diverged = True
            out = (inner * masks[name]) @ U
            if delta_masks is not None:
                unmasked = cached_out if cached_out is not None else read_input(a, weights[name].T)
                out = out + delta_masks[name].unsqueeze(-1) * (unmasked - inner @ U)
            return out

        return self.target.forward_with(x, apply)

    def stacked_masked_forward(
        self,
        x: torch.Tensor,
        mask_pairs: dict[str, torch.Tensor],
        target_outputs: dict[str, torch.Tensor],
        target_inner: dict[str, torch.Tensor] | None = None,
        delta_pairs: dict[str, torch.Tensor] | None = None,
        outputs_folded: bool = False,
    ) -> torch.Tensor:
        """All masked passes of one step in one stacked forward (1 + L copies of the batch), for
        targets whose forward carries extra leading dimensions (``supports_stacked_passes``).

        ``mask_pairs[l]`` (2, rows..., C): the full and the layerwise masks of module l (and
        ``delta_pairs[l]`` (2, rows...) the delta component's). Copy 0 masks every module with
        its full masks; copy 1+l masks only module l, with its layerwise masks. Work is shared:
        until the first masked module every copy is the target, so the batch stays unstacked
        (and broadcasts) until then; copy 1+l sees the target's input at module l, so its
        ``a V`` is the CI's (``target_inner``), and reuses the target's cached outputs
        (``target_outputs``, pre-bias) at the modules after l; a fixed linear map that follows a
        module (the target's ``residual_readout``) folds into U, and into the cached outputs
        already when ``outputs_folded`` (``target_forward(fold=True)``); a fixed embedding before
        the matrices (the target's ``embed``) folds into V and W. Returns (1 + L, batch, d_out).
        """
        weights = self.target.weights()
        index = {name: i for i, name in enumerate(self.names)}
        n_modules = len(self.names)
        unstacked_dim = x.dim()

        def apply(name: str, a: torch.Tensor, then: torch.Tensor | None = None) -> torch.Tensor:
            def through_target(b: torch.Tensor) -> torch.Tensor:
                w_t = weights[name].T
                return b @ (w_t if then is None else w_t @ then)

            if name not in index:
                return through_target(a)
            j = index[name]
            V, U = self.vu(name)
            if then is not None:
                U = U @ then
            own = target_outputs[name]
            if then is not None and not outputs_folded:
                own = own @ then
            stacked = a.dim() != unstacked_dim
            cached = target_inner[name] if target_inner is not None else None
            # the inner activations of copy 0 and copy 1 + j: (rows, C) when both are the
            # target's (broadcast over the pair), else (2, rows, C)
            if not stacked:
                inner = cached if cached is not None else a @ V
            else:
                inner = torch.stack([a[0] @ V, cached if cached is not None else a[1 + j] @ V])
            # U column-major: MKL's products with many rows and few columns measured ≈ 1.5×
            # faster forward and backward with the right-hand side in that layout
            masked = (inner * mask_pairs[name]) @ U.T.contiguous().T  # (2, rows, d_out)
            if delta_pairs is not None:
                unmasked = torch.stack([through_target(a[0]), own]) if stacked else own
                residual = unmasked - inner @ U
                masked = masked + delta_pairs[name].unsqueeze(-1) * residual
            pieces = [masked[:1]]
            if j > 0:  # copies 1..j: an earlier module masked, this one the target's
                pieces.append(
                    through_target(a[1 : 1 + j]) if stacked else own.expand(j, *own.shape)
                )
            pieces.append(masked[1:])
            if j < n_modules - 1:  # copies after 1 + j still see the target's input here
                pieces.append(own.expand(n_modules - 1 - j, *own.shape))
            return torch.cat(pieces)

        apply.folds_then = apply.folds_embedding = True  # type: ignore[attr-defined]
        return self.target.forward_with(x, apply)

    def concatenated_masked_forward(
        self,
        x: torch.Tensor,
        full_masks: dict[str, torch.Tensor],
        layer_masks: dict[str, torch.Tensor],
        target_outputs: dict[str, torch.Tensor],
        full_delta: dict[str, torch.Tensor] | None = None,
        layer_delta: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The same 1 + L masked passes as ``stacked_masked_forward`` for any network that treats
        the rows of a batch independently (every network in eval mode that does not mix the
        batch): the copies are concatenated along the batch dimension and run in one forward.

        At decomposed module j, copy 0 is fully masked, copy 1+j layer-masked, copies 1+l with
        l > j still see the target's input there and reuse its cached output
        (``target_outputs``), and copies 1+l with l < j apply W to their own input. Returns
        (1 + L, batch, ...).
        """
        weights = self.target.weights()
        index = {name: i for i, name in enumerate(self.names)}
        n_copies, batch = 1 + len(self.names), x.shape[0]

        def apply(name: str, a: torch.Tensor) -> torch.Tensor:
            if name not in index:
                return read_input(a, weights[name].T)
            copies = a.reshape(n_copies, batch, *a.shape[1:])
            j = index[name]
            V, U = self.vu(name)
            pieces = []
            for i in range(n_copies):
                if i > 1 + j:
                    pieces.append(target_outputs[name])
                    continue
                if i not in (0, 1 + j):
                    pieces.append(read_input(copies[i], weights[name].T))
                    continue
                mask = full_masks[name] if i == 0 else layer_masks[name]
                inner = read_input(copies[i], V)
                piece = (inner * mask) @ U
                delta = full_delta if i == 0 else layer_delta
                if delta is not None:
                    residual = read_input(copies[i], weights[name].T) - inner @ U
                    piece = piece + delta[name].unsqueeze(-1) * residual
                pieces.append(piece)
            return torch.cat(pieces)

        stacked_input = x.repeat(n_copies, *([1] * (x.dim() - 1)))
        out = self.target.forward_with(stacked_input, apply)
        return out.reshape(n_copies, batch, *out.shape[1:])

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

    def _merged_rows(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``_active_rows`` without the indices: the active rows in order, then one all-zero row
        for all all-zero rows (when there are any), and their loss weights."""
        batch = x.shape[0]
        if not getattr(self.target, "zero_input_fixed_point", False):
            return x, torch.full((batch,), 1.0 / batch, device=x.device)
        index = torch.nonzero(x.flatten(1).any(-1)).squeeze(-1)
        n_active = index.numel()
        if n_active == batch:
            return x, torch.full((batch,), 1.0 / batch, device=x.device)
        rows = torch.cat([x.index_select(0, index), x.new_zeros((1, *x.shape[1:]))])
        weights = torch.full((n_active + 1,), 1.0 / batch, device=x.device)
        weights[-1] = (batch - n_active) / batch
        return rows, weights

    def losses(
        self,
        x: torch.Tensor,
        pnorm: float,
        generator: torch.Generator,
        batched: bool = True,
        recon: ReconLoss = "mse",
        pgd: PGDSettings | None = None,
        concatenate: bool | None = None,
    ) -> tuple[dict[str, torch.Tensor], CausalImportance]:
        """Every SPD loss term on batch ``x`` (one fresh mask sample per stochastic term).

        ``batched=False`` is the plain implementation (whole batch, one full forward per masked
        pass, plain gate MLPs); it computes the same values from the same random draws and is the
        reference of the tests and the throughput benchmark. ``batched=True`` merges all-zero
        rows (toys) and runs the masked passes in one forward where the target's forward carries
        extra leading dimensions (toys); on any other network ``concatenate`` runs them
        concatenated along the batch in one forward (None: on an accelerator only, where larger
        kernels pay; on a CPU the separate passes measured faster,
        benchmarks/spd_lm_throughput.py).
        ``recon``: MSE of the outputs (toys) or KL of the next-token distributions (language
        models). ``pgd`` adds the ``pgd_recon`` term (all modules under adversarial masks). The
        returned CI covers the rows computed; ``row_weights`` of the result weigh them.
        """
        batch = x.shape[0]
        merge_rows = batched and recon == "mse"
        stacked = batched and getattr(self.target, "supports_stacked_passes", False)
        if concatenate is None:
            concatenate = x.device.type != "cpu"
        concatenated = batched and not stacked and concatenate
        recon_loss = reconstruction(recon)
        if merge_rows:
            rows, weights = self._merged_rows(x)
            n_drawn = len(rows)
        else:
            rows, weights = x, None
            _, index, _ = self._active_rows(x)
            n_drawn = len(index)
        target_out, inputs, outputs = self.target_forward(rows, fold=stacked)
        ci = self.causal_importance(inputs, plain=not batched)
        # random draws only for the rows whose masks matter: an all-zero row's output ignores
        # its masks, so it shares its representative's draw (the last drawn row)
        lead = {n: (n_drawn, *ci.lower[n].shape[1:]) for n in self.names}
        full_delta = layer_delta = None
        if batched:
            full_uniform, layer_uniform, full_delta, layer_delta = self._draw_sources(
                lead, generator, x.device
            )
        else:
            full_uniform = draw_uniform(lead, generator, x.device)
            layer_uniform = draw_uniform(lead, generator, x.device)
            if self.delta_component:
                delta_lead = {n: shape[:-1] for n, shape in lead.items()}
                full_delta = draw_uniform(delta_lead, generator, x.device)
                layer_delta = draw_uniform(delta_lead, generator, x.device)
        if not merge_rows and n_drawn < batch:
            draw_of_row = torch.full((batch,), n_drawn - 1, device=x.device)
            draw_of_row[index] = torch.arange(n_drawn, device=x.device)
            full_uniform = {n: u[draw_of_row] for n, u in full_uniform.items()}
            layer_uniform = {n: u[draw_of_row] for n, u in layer_uniform.items()}
            if full_delta is not None and layer_delta is not None:
                full_delta = {n: u[draw_of_row] for n, u in full_delta.items()}
                layer_delta = {n: u[draw_of_row] for n, u in layer_delta.items()}
        if stacked:
            delta_pairs = None
            if full_delta is not None and layer_delta is not None:
                delta_pairs = {n: torch.stack([full_delta[n], layer_delta[n]]) for n in self.names}
            outs = self.stacked_masked_forward(
                rows,
                self._mask_pairs(ci, full_uniform, layer_uniform),
                outputs,
                ci.inner,
                delta_pairs,
                outputs_folded=True,
            )
            if recon == "mse" and weights is not None:
                # every copy's weighted MSE at once: copy 0 is the stochastic term, the mean of
                # the others the layerwise one
                per_copy = (outs - target_out).pow(2).sum(-1) @ (weights / outs.shape[-1])
                stochastic, layerwise = per_copy[0], per_copy[1:].mean()
            else:
                stochastic = recon_loss(outs[0], target_out, weights)
                layerwise = recon_loss(outs[1:], target_out.unsqueeze(0), weights)
        else:
            if batched and ci.joint is not None:
                pairs = joint_mask_pairs(ci.joint, full_uniform, layer_uniform)
                full_masks = {n: pair[0] for n, pair in pairs.items()}
                layer_masks = {n: pair[1] for n, pair in pairs.items()}
            elif batched:
                full_masks, layer_masks = full_and_layer_masks(
                    ci.lower, full_uniform, layer_uniform
                )
            else:
                full_masks = stochastic_masks(ci.lower, full_uniform)
                layer_masks = stochastic_masks(ci.lower, layer_uniform)
            stochastic, layerwise = self._separate_recon(
                rows,
                full_masks,
                layer_masks,
                full_delta,
                layer_delta,
                outputs,
                target_out,
                weights,
                recon_loss,
                concatenated,
                ci.inner if batched else None,
            )
        if batched:
            faithfulness = self._faithfulness_of_owned()
        else:
            faithfulness = faithfulness_loss(self.target_weights(), self.component_weights())
        terms = {
            "faithfulness": faithfulness,
            "stochastic_recon": stochastic,
            "stochastic_recon_layerwise": layerwise,
            "importance_minimality": importance_minimality_loss(
                {"all": ci.joint.upper} if batched and ci.joint is not None else ci.upper,
                pnorm,
                weights,
                lean=batched,
            ),
        }
        if pgd is not None:
            terms["pgd_recon"] = self.adversarial_recon(
                rows, ci.lower, target_out, recon, pgd, generator
            )
        ci.row_weights = weights
        return terms, ci

    def _separate_recon(
        self,
        rows: torch.Tensor,
        full_masks: dict[str, torch.Tensor],
        layer_masks: dict[str, torch.Tensor],
        full_delta: dict[str, torch.Tensor] | None,
        layer_delta: dict[str, torch.Tensor] | None,
        outputs: dict[str, torch.Tensor],
        target_out: torch.Tensor,
        weights: torch.Tensor | None,
        recon_loss: Callable[..., torch.Tensor],
        concatenated: bool,
        target_inner: dict[str, torch.Tensor] | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The stochastic and layerwise reconstruction terms from 1 + L masked passes, run
        concatenated along the batch in one forward or one after another; one after another, the
        passes reuse the target's products where they still see its input when ``target_inner``
        (the CI's a V) is given (the fast path; the plain one recomputes every product)."""
        reused_outputs = outputs if target_inner is not None else None
        if concatenated:
            outs = self.concatenated_masked_forward(
                rows, full_masks, layer_masks, outputs, full_delta, layer_delta
            )
            stochastic = recon_loss(outs[0], target_out, weights)
            layerwise = torch.stack(
                [recon_loss(out, target_out, weights) for out in outs[1:]]
            ).mean()
        else:
            stochastic = recon_loss(
                self.masked_forward(rows, full_masks, full_delta, target_inner, reused_outputs),
                target_out,
                weights,
            )
            layerwise = torch.stack(
                [
                    recon_loss(
                        self.masked_forward(
                            rows,
                            {n: layer_masks[n]},
                            None if layer_delta is None else {n: layer_delta[n]},
                            target_inner,
                            reused_outputs,
                        ),
                        target_out,
                        weights,
                    )
                    for n in self.names
                ]
            ).mean()
        return stochastic, layerwise

    def _mask_pairs(
        self,
        ci: CausalImportance,
        full_uniform: dict[str, torch.Tensor],
        layer_uniform: dict[str, torch.Tensor],
    ) -> dict[str, torch.Tensor]:
        """Per module its full and layerwise masks stacked, (2, rows..., C)."""
        if ci.joint is not None:
            return joint_mask_pairs(ci.joint, full_uniform, layer_uniform)
        return mask_pairs(ci.lower, full_uniform, layer_uniform)

    def _draw_sources(
        self, lead: dict[str, tuple[int, ...]], generator: torch.Generator, device: torch.device
    ) -> tuple[
        dict[str, torch.Tensor],
        dict[str, torch.Tensor],
        dict[str, torch.Tensor] | None,
        dict[str, torch.Tensor] | None,
    ]:
        """The uniform sources of the full and layerwise masks (and of the delta component's),
        per module, in one draw: the same numbers as one draw per tensor (the plain path)."""
        shapes = {("full", n): shape for n, shape in lead.items()}
        shapes.update({("layer", n): shape for n, shape in lead.items()})
        if self.delta_component:
            shapes.update({("full_delta", n): shape[:-1] for n, shape in lead.items()})
            shapes.update({("layer_delta", n): shape[:-1] for n, shape in lead.items()})
        drawn = draw_uniform_at_once(shapes, generator, device)
        sections = [
            {n: drawn[(section, n)] for n in lead} if (section, self.names[0]) in drawn else None
            for section in ("full", "layer", "full_delta", "layer_delta")
        ]
        full, layer, full_delta, layer_delta = sections
        assert full is not None and layer is not None
        return full, layer, full_delta, layer_delta

    def adversarial_recon(
        self,
        x: torch.Tensor,
        ci_lower: dict[str, torch.Tensor],
        target_out: torch.Tensor,
        recon: ReconLoss,
        pgd: PGDSettings,
        generator: torch.Generator,
        with_delta: bool = True,
    ) -> torch.Tensor:
        """Reconstruction loss with every module masked by m = g + (1 − g)·r (g: ``ci_lower``,
        the lower-leaky CI) where the sources r (and the delta component's, when on and
        ``with_delta``) were pushed by PGD to maximise that loss (CI held fixed during the
        attack); differentiable in the components and the CI."""
        recon_loss = reconstruction(recon)
        names = list(self.names)
        use_delta = self.delta_component and with_delta
        shapes = {n: tuple(ci_lower[n].shape) for n in names}
        if use_delta:
            shapes.update({f"delta:{n}": tuple(ci_lower[n].shape[:-1]) for n in names})

        def loss_with(
            sources: dict[str, torch.Tensor], lower: dict[str, torch.Tensor]
        ) -> torch.Tensor:
            masks = stochastic_masks(lower, {n: sources[n] for n in names})
            delta = {n: sources[f"delta:{n}"] for n in names} if use_delta else None
            return recon_loss(self.masked_forward(x, masks, delta), target_out)

        start = draw_uniform(shapes, generator, x.device)
        fixed = {n: g.detach() for n, g in ci_lower.items()}
        sources = pgd_sources(lambda r: loss_with(r, fixed), start, pgd.steps, pgd.step_size)
        return loss_with(sources, ci_lower)
