import copy
import pickle

import pytest
import torch

from subnetlab.methods.spd.components import GateMLPs, gate_mlps_reference
from subnetlab.methods.spd.fused_gates import ROW_BUCKET, GateWorkspace, fused_causal_importance
from subnetlab.methods.spd.sigmoids import lower_leaky_hard_sigmoid, upper_leaky_hard_sigmoid


def _gates(sizes: list[int], d_gate: int, dtype: torch.dtype) -> list[GateMLPs]:
    gen = torch.Generator().manual_seed(0)
    gates = []
    for C in sizes:
        gate = GateMLPs(C, d_gate, gen).to(dtype)
        with torch.no_grad():  # non-zero biases: pre-activations on every side of 0 and 1
            gate.b1.normal_(generator=gen)
            gate.b2.normal_(0.5, 1.0, generator=gen)
        gates.append(gate)
    return gates


def _fused(
    inners: list[torch.Tensor], gates: list[GateMLPs], workspace: GateWorkspace | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    return fused_causal_importance(
        inners,
        [g.w1 for g in gates],
        [g.b1 for g in gates],
        [g.w2 for g in gates],
        [g.b2 for g in gates],
        workspace,
    )


def _plain(inners: list[torch.Tensor], gates: list[GateMLPs]) -> tuple[torch.Tensor, torch.Tensor]:
    pres = [gate_mlps_reference(x, g) for x, g in zip(inners, gates, strict=True)]
    return (
        torch.cat([lower_leaky_hard_sigmoid(p) for p in pres], -1),
        torch.cat([upper_leaky_hard_sigmoid(p) for p in pres], -1),
    )


@pytest.mark.parametrize("workspace", [None, GateWorkspace()])
def test_the_fused_function_passes_gradcheck_in_float64(workspace: GateWorkspace | None) -> None:
    gates = _gates([3, 4], d_gate=5, dtype=torch.float64)
    gen = torch.Generator().manual_seed(1)
    inners = [torch.randn(7, C, generator=gen, dtype=torch.float64) * 2 for C in (3, 4)]
    params = [p for kind in ("w1", "b1", "w2", "b2") for g in gates for p in [getattr(g, kind)]]
    n = len(inners)

    def function(*tensors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        w1, b1, w2, b2 = (list(tensors[n + k * n : n + (k + 1) * n]) for k in range(4))
        return fused_causal_importance(list(tensors[:n]), w1, b1, w2, b2, workspace)

    leaves = [t.clone().requires_grad_() for t in (*inners, *params)]
    assert torch.autograd.gradcheck(function, leaves, eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("rows", [1, 37, ROW_BUCKET, ROW_BUCKET + 1])
def test_fused_values_and_gradients_equal_the_plain_gates_and_hard_sigmoids(rows: int) -> None:
    sizes = [6, 2, 9]
    gates = _gates(sizes, d_gate=16, dtype=torch.float32)
    gen = torch.Generator().manual_seed(2)
    inners = [torch.randn(rows, C, generator=gen, requires_grad=True) for C in sizes]
    grad_lower = torch.randn(rows, sum(sizes), generator=gen)
    grad_upper = torch.randn(rows, sum(sizes), generator=gen)
    leaves = [*inners, *(p for g in gates for p in g.parameters())]
    results = []
    for compute in (lambda: _fused(inners, gates, GateWorkspace()), lambda: _plain(inners, gates)):
        lower, upper = compute()
        grads = torch.autograd.grad((lower, upper), leaves, (grad_lower, grad_upper))
        results.append((lower, upper, grads))
    (lower, upper, grads), (lower_ref, upper_ref, grads_ref) = results
    torch.testing.assert_close(lower, lower_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(upper, upper_ref, rtol=1e-5, atol=1e-6)
    for got, want in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_without_gradients_the_values_are_the_same() -> None:
    gates = _gates([5, 5], d_gate=4, dtype=torch.float32)
    inners = [torch.randn(11, 5), torch.randn(11, 5)]
    lower, upper = _fused(inners, gates)
    with torch.no_grad():
        lower_ng, upper_ng = _fused(inners, gates, GateWorkspace())
    assert lower_ng.grad_fn is None
    torch.testing.assert_close(lower_ng, lower.detach())
    torch.testing.assert_close(upper_ng, upper.detach())


def test_a_call_while_the_workspace_is_taken_gets_its_own_storage() -> None:
    gates = _gates([4], d_gate=8, dtype=torch.float32)
    workspace = GateWorkspace()
    x_a, x_b = (torch.randn(30, 4, requires_grad=True) for _ in "ab")
    lower_a, _ = _fused([x_a], gates, workspace)
    lower_b, _ = _fused([x_b], gates, workspace)  # graph a is alive and not backwarded
    (grad_a,) = torch.autograd.grad(lower_a.sum(), x_a)
    (grad_b,) = torch.autograd.grad(lower_b.sum(), x_b)
    for x, grad in ((x_a, grad_a), (x_b, grad_b)):
        (want,) = torch.autograd.grad(_plain([x], gates)[0].sum(), x)
        torch.testing.assert_close(grad, want, rtol=1e-4, atol=1e-6)


def test_reused_storage_never_gives_an_old_graph_a_wrong_gradient() -> None:
    gates = _gates([4], d_gate=8, dtype=torch.float32)
    workspace = GateWorkspace()
    x = torch.randn(30, 4, requires_grad=True)
    lower, _ = _fused([x], gates, workspace)
    lower.sum().backward(retain_graph=True)  # its backward ran: the storage is free again
    _fused([torch.randn(30, 4, requires_grad=True)], gates, workspace)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        lower.sum().backward()


def test_a_copied_workspace_starts_empty() -> None:
    gates = _gates([4], d_gate=8, dtype=torch.float32)
    workspace = GateWorkspace()
    x = torch.randn(30, 4, requires_grad=True)
    lower, _ = _fused([x], gates, workspace)
    for copied in (copy.deepcopy(workspace), pickle.loads(pickle.dumps(workspace))):
        # the copy's blocks are its own: using them leaves the original graph's gradient intact
        _fused([torch.randn(30, 4, requires_grad=True)], gates, copied)
    (grad,) = torch.autograd.grad(lower.sum(), x)
    (want,) = torch.autograd.grad(_plain([x], gates)[0].sum(), x)
    torch.testing.assert_close(grad, want, rtol=1e-4, atol=1e-6)
