"""Time circuit discovery (acdc, eap, magnitude) on an independence-size and an MNIST-size net.

Prints wall time, forward passes (batched; each may score many candidate circuits), candidate
circuits scored (= forward passes of unbatched ACDC) and circuit size. Nets:

- independence [4, 20, 20, 2]: trained here on y1 = (x1 + x3)^3, y2 = x2^2 + sin(pi x4) with plain
  Adam ("vanilla") and with an L1 penalty ("l1"); node TPR/FPR against the true input→output
  dependencies;
- MNIST size [784, 100, 100, 10]: a random net and one trained here on a synthetic 10-class task
  (noisy 28x28 blob prototypes; no MNIST download needed), metric KL to the full model.

Run: PYTHONPATH=src python benchmarks/circuit_discovery.py [--threads N] [--tau-mnist T]

``--write-blob-idx DIR`` instead writes the blob task as the four MNIST IDX files into DIR and
exits, so that the MNIST circuit study runs through the method on them (no MNIST needed):
  python run.py experiment=circuit_study_mnist dataset.data_dir=DIR dataset.download=false
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from subnetlab.data.mnist_idx import FILES, write_idx
from subnetlab.methods.circuit.acdc import acdc
from subnetlab.methods.circuit.eap import circuit_from_scores, eap_scores
from subnetlab.methods.circuit.ground_truth import GroundTruth, recovery, sweep_auc
from subnetlab.methods.circuit.magnitude import magnitude
from subnetlab.methods.circuit.metrics import CircuitMetric, make_metric
from subnetlab.methods.circuit.patching import PatchingCache, build_cache, shuffled_pairs
from subnetlab.methods.circuit.planted import planted_circuit
from subnetlab.methods.circuit.result import DiscoveryResult
from subnetlab.models.layered import LayeredNet
from subnetlab.utils.arguments import integer_at_least, positive_number

INDEPENDENCE_DEPENDENCIES = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.bool)


def independence_data(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, 4, generator=generator) * 2 - 1
    y = torch.stack([(x[:, 0] + x[:, 2]) ** 3, x[:, 1] ** 2 + torch.sin(math.pi * x[:, 3])], 1)
    return x, y


def blob_data(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """10 classes, each a Gaussian blob at its own place on a 28x28 grid, plus pixel noise."""
    grid = torch.stack(torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij"), -1)
    centres = torch.tensor(
        [[6 + 16 * (c % 2), 4 + 5 * (c // 2)] for c in range(10)], dtype=torch.float
    )
    prototypes = torch.exp(-((grid[None] - centres[:, None, None]) ** 2).sum(-1) / 18.0)
    labels = torch.randint(0, 10, (n,), generator=generator)
    images = prototypes[labels] + 0.3 * torch.rand(n, 28, 28, generator=generator)
    return images.reshape(n, 784), labels


def write_blob_idx(root: Path, n_train: int, n_test: int, seed: int) -> None:
    """The blob task as MNIST's four IDX files (pixels clipped to [0, 1], stored as bytes)."""
    generator = torch.Generator().manual_seed(seed)
    root.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = blob_data(n, generator)
        pixels = (images.clamp(0, 1) * 255).round().to(torch.uint8).reshape(n, 28, 28)
        image_file, label_file = FILES[split]
        write_idx(root / image_file, pixels.numpy())
        write_idx(root / label_file, labels.to(torch.uint8).numpy())


def random_net(widths: list[int], activation: str, generator: torch.Generator) -> LayeredNet:
    """nn.Linear's default initialisation: U(-1/sqrt(d_in), 1/sqrt(d_in))."""
    weights = [
        (torch.rand(o, i, generator=generator) * 2 - 1) / i**0.5
        for i, o in zip(widths, widths[1:], strict=False)
    ]
    biases = [
        (torch.rand(o, generator=generator) * 2 - 1) / i**0.5
        for i, o in zip(widths, widths[1:], strict=False)
    ]
    return LayeredNet(weights, biases, activation)


def train(
    net: LayeredNet,
    x: torch.Tensor,
    y: torch.Tensor,
    loss: str,
    steps: int,
    l1: float,
    batch: int,
    lr: float,
    generator: torch.Generator,
) -> LayeredNet:
    params = [p.clone().requires_grad_(True) for p in net.weights + net.biases]
    n_layers = len(net.weights)
    optimiser = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        index = torch.randint(0, len(x), (batch,), generator=generator)
        model = LayeredNet(params[:n_layers], params[n_layers:], net.activation)
        out = model.forward(x[index])
        task = (
            torch.nn.functional.cross_entropy(out, y[index])
            if loss == "ce"
            else (out - y[index]).pow(2).mean()
        )
        penalty = sum(w.abs().sum() for w in params[:n_layers])
        optimiser.zero_grad()
        (task + l1 * penalty).backward()
        optimiser.step()
    detached = [p.detach() for p in params]
    return LayeredNet(detached[:n_layers], detached[n_layers:], net.activation)


def report(name: str, cache: PatchingCache, result: DiscoveryResult, extra: str = "") -> None:
    graph = cache.graph
    kept = graph.count_edges(result.mask)
    print(
        f"  {name:<28} {result.wall_time_s:8.2f} s  passes {result.forward_passes:6d}  "
        f"circuits {result.circuits_evaluated:8d}  edges kept {kept:6d}/{graph.num_edges} "
        f"({kept / graph.num_edges:.2%})  nodes {graph.count_nodes(result.mask)}/{graph.num_nodes}"
        f"{extra}"
    )


def acdc_with_prefilter(
    cache: PatchingCache, metric: CircuitMetric, tau: float, prefilter: float, ig_steps: int
) -> DiscoveryResult:
    """EAP first; edges with |score| < prefilter * tau are dropped untested, then ACDC."""
    start = time.perf_counter()
    scores, passes = eap_scores(cache, metric, ig_steps)
    result = acdc(cache, metric, tau, start_mask=circuit_from_scores(scores, prefilter * tau))
    result.wall_time_s = time.perf_counter() - start
    result.forward_passes += passes
    result.circuits_evaluated += passes
    result.backward_passes = passes
    result.algorithm = "acdc+eap"
    return result


def independence(tau: float, generator: torch.Generator) -> None:
    print(f"independence [4, 20, 20, 2], metric mse (1 - R^2), tau {tau}, 100 examples")
    truth = GroundTruth.from_dependencies(INDEPENDENCE_DEPENDENCIES, [4, 20, 20, 2])
    x, y = independence_data(100, generator)
    for label, l1 in (("vanilla", 0.0), ("l1", 1e-3)):
        start = time.perf_counter()
        net = train(
            random_net([4, 20, 20, 2], "silu", generator),
            x,
            y,
            "mse",
            4000,
            l1,
            100,
            2e-3,
            generator,
        )
        train_s = time.perf_counter() - start
        cache = build_cache(net, x, "corrupted", shuffled_pairs(x, generator))
        metric = make_metric("mse", cache.full_outputs)
        test_mse = float((net.forward(x) - y).pow(2).mean())
        print(f" {label}: trained in {train_s:.1f} s, train mse {test_mse:.2e}")
        result = acdc(cache, metric, tau)
        rec = recovery(truth, cache.graph, result.mask)
        faith = float(metric(cache_outputs(cache, result)))
        report(
            "acdc",
            cache,
            result,
            f"  node_tpr {rec['node_tpr']:.2f} node_fpr {rec['node_fpr']:.2f} mse {faith:.3f}",
        )


def cache_outputs(cache: PatchingCache, result: DiscoveryResult) -> torch.Tensor:
    from subnetlab.methods.circuit.patching import patched_forward

    return patched_forward(cache, result.mask)


def agreement(cache: PatchingCache, result: DiscoveryResult) -> float:
    """Fraction of examples where the circuit predicts the full model's class."""
    out = cache_outputs(cache, result)
    return float((out.argmax(-1) == cache.full_outputs.argmax(-1)).float().mean())


def mnist_size(tau: float, generator: torch.Generator) -> None:
    widths = [784, 100, 100, 10]
    x, labels = blob_data(2000, generator)
    n_edges = sum(o * i for i, o in zip(widths, widths[1:], strict=False))
    print(f"MNIST size {widths} ({n_edges} edges), metric kl, 100 examples, corrupted ablation")
    nets = {"random": random_net(widths, "silu", generator)}
    for name, l1 in (("trained vanilla", 0.0), ("trained l1", 1e-4)):
        start = time.perf_counter()
        init = random_net(widths, "silu", generator)
        nets[name] = train(init, x, labels, "ce", 500, l1, 100, 1e-3, generator)
        accuracy = float((nets[name].forward(x).argmax(1) == labels).float().mean())
        print(f" {name}: 500 Adam steps in {time.perf_counter() - start:.1f} s, acc {accuracy:.3f}")
    x_eval = x[:100]
    for name, net in nets.items():
        cache = build_cache(net, x_eval, "corrupted", shuffled_pairs(x_eval, generator))
        metric = make_metric("kl", cache.full_outputs)
        # a random net's outputs barely depend on its inputs, so its KL effects are far smaller
        net_tau = tau * 1e-2 if name == "random" else tau
        print(f" {name} net, tau {net_tau:g}")
        for label, result in (
            ("acdc", acdc(cache, metric, net_tau)),
            ("acdc, eap pre-filter 0.1 tau", acdc_with_prefilter(cache, metric, net_tau, 0.1, 5)),
        ):
            kl = float(metric(cache_outputs(cache, result)))
            report(label, cache, result, f"  kl {kl:.3g}  agree {agreement(cache, result):.2f}")
        start = time.perf_counter()
        scores, passes = eap_scores(cache, metric, ig_steps=5)
        eap_s = time.perf_counter() - start
        kept = cache.graph.count_edges(circuit_from_scores(scores, net_tau))
        print(
            f"  {'eap (ig_steps 5)':<28} {eap_s:8.2f} s  passes {passes:6d} (+{passes} backward)"
            f"  edges kept {kept}"
        )
        report("magnitude 0.1", cache, magnitude(net, 0.1))


def planted(generator: torch.Generator) -> None:
    circuit = planted_circuit(seed=0)
    x = circuit.inputs
    cache = build_cache(circuit.net, x, "corrupted", shuffled_pairs(x, generator))
    metric = make_metric("mse", cache.full_outputs)
    graph = cache.graph
    taus = [float(t) for t in 10 ** torch.linspace(-5, 0, 11)]
    start = time.perf_counter()
    by_acdc = sweep_auc(circuit.truth, graph, [acdc(cache, metric, t).mask for t in taus])
    acdc_s = time.perf_counter() - start
    scores, _ = eap_scores(cache, metric, ig_steps=5)
    by_eap = sweep_auc(circuit.truth, graph, [circuit_from_scores(scores, t) for t in taus])
    fractions = torch.linspace(0, 1, 21).tolist()
    by_magnitude = sweep_auc(
        circuit.truth, graph, [magnitude(circuit.net, t).mask for t in fractions]
    )
    print(
        f"planted circuit {list(graph.widths)}, metric mse, 11 taus 1e-5..1 "
        f"(ACDC sweep {acdc_s:.1f} s)"
    )
    for name, auc in (("acdc", by_acdc), ("eap ig_steps 5", by_eap), ("magnitude", by_magnitude)):
        print(f"  {name:<16} node AUC {auc['node_auc']:.3f}  edge AUC {auc['edge_auc']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=integer_at_least(1), default=1, help="torch CPU threads (default 1)"
    )
    parser.add_argument("--tau-independence", type=positive_number, default=0.01)
    parser.add_argument("--tau-mnist", type=positive_number, default=1e-4)
    parser.add_argument("--seed", type=integer_at_least(0), default=0)
    parser.add_argument(
        "--write-blob-idx", type=Path, default=None, help="write blob IDX files there and exit"
    )
    args = parser.parse_args()
    if args.write_blob_idx is not None:
        write_blob_idx(args.write_blob_idx, 10_000, 2_000, args.seed)
        print(f"blob task as MNIST IDX files (10000 train, 2000 test) in {args.write_blob_idx}")
        return
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s), seed {args.seed}")
    generator = torch.Generator().manual_seed(args.seed)
    planted(generator)
    independence(args.tau_independence, generator)
    mnist_size(args.tau_mnist, generator)


if __name__ == "__main__":
    main()
