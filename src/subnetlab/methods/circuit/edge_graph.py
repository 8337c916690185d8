"""Edges of a layered net: one per weight, masks as per-layer boolean tensors.

Node layer ``l`` (0 = inputs, L = outputs) has ``widths[l]`` neurons. Weight layer ``i`` joins node
layer ``i`` (sources) to node layer ``i + 1`` (receivers); its edge ``(i, v, u)`` is weight
``W_i[v, u]``. A circuit is an :data:`EdgeMask`: one ``(d_out, d_in)`` bool tensor per weight
layer, True where the edge is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from subnetlab.models.layered import LayeredNet

EdgeMask = list[torch.Tensor]
"""Per weight layer, a (d_out, d_in) bool tensor: True = edge kept in the circuit."""


@dataclass(frozen=True)
class EdgeGraph:
    """Indexing of the neurons and weight edges of a layered net of the given widths."""

    widths: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.widths) < 2 or any(w < 1 for w in self.widths):
            raise ValueError(
                f"widths={self.widths} invalid: need at least two node layers, each of width >= 1"
            )

    @classmethod
    def of(cls, net: LayeredNet) -> EdgeGraph:
        return cls(tuple(net.widths))

    @property
    def num_weight_layers(self) -> int:
        return len(self.widths) - 1

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        """(d_out, d_in) of every weight layer."""
        return [(self.widths[i + 1], self.widths[i]) for i in range(self.num_weight_layers)]

    @property
    def num_edges(self) -> int:
        return sum(d_out * d_in for d_out, d_in in self.layer_shapes)

    @property
    def num_nodes(self) -> int:
        return sum(self.widths)

    def full_mask(self) -> EdgeMask:
        """Every edge kept (the full model)."""
        return [torch.ones(shape, dtype=torch.bool) for shape in self.layer_shapes]

    def empty_mask(self) -> EdgeMask:
        """No edge kept (every edge ablated)."""
        return [torch.zeros(shape, dtype=torch.bool) for shape in self.layer_shapes]

    def check_mask(self, mask: EdgeMask) -> None:
        """Raise ValueError unless ``mask`` has one bool tensor of the right shape per layer."""
        if len(mask) != self.num_weight_layers:
            raise ValueError(
                f"edge mask has {len(mask)} layers; this net has {self.num_weight_layers}"
            )
        for i, (m, shape) in enumerate(zip(mask, self.layer_shapes, strict=True)):
            if m.dtype != torch.bool or tuple(m.shape) != shape:
                raise ValueError(
                    f"edge mask layer {i} is {m.dtype} {tuple(m.shape)}; expected bool {shape}"
                )

    def count_edges(self, mask: EdgeMask) -> int:
        return int(sum(int(m.sum()) for m in mask))

    def flatten(self, per_layer: Sequence[torch.Tensor]) -> torch.Tensor:
        """Per-layer (d_out, d_in) tensors → one (num_edges,) tensor in edge-index order."""
        return torch.cat([t.reshape(-1) for t in per_layer])

    def unflatten(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """(num_edges,) → per-layer (d_out, d_in) tensors; inverse of :meth:`flatten`."""
        if flat.shape != (self.num_edges,):
            raise ValueError(f"expected shape ({self.num_edges},), got {tuple(flat.shape)}")
        sizes = [d_out * d_in for d_out, d_in in self.layer_shapes]
        parts = torch.split(flat, sizes)
        return [p.reshape(shape) for p, shape in zip(parts, self.layer_shapes, strict=True)]

    def edge_index(self, layer: int, receiver: int, source: int) -> int:
        """Flat index of edge ``source -> receiver`` of weight layer ``layer``."""
        d_out, d_in = self.layer_shapes[layer]
        if not (0 <= receiver < d_out and 0 <= source < d_in):
            raise ValueError(
                f"edge ({layer}, {receiver}, {source}) outside layer shape {(d_out, d_in)}"
            )
        offset = sum(o * i for o, i in self.layer_shapes[:layer])
        return offset + receiver * d_in + source

    def receivers_reverse_topological(self) -> Iterator[tuple[int, int]]:
        """(node layer, neuron) of every neuron with incoming edges, outputs first."""
        for layer in range(len(self.widths) - 1, 0, -1):
            for neuron in range(self.widths[layer]):
                yield layer, neuron

    def _from_inputs(self, mask: EdgeMask) -> list[torch.Tensor]:
        """Per node layer, (width,) bool: some input reaches the neuron through kept edges."""
        from_inputs = [torch.ones(self.widths[0], dtype=torch.bool)]
        for m in mask:
            from_inputs.append((m & from_inputs[-1][None, :]).any(dim=1))
        return from_inputs

    def _to_outputs(self, mask: EdgeMask) -> list[torch.Tensor]:
        """Per node layer, (n_outputs, width) bool: the neuron reaches output ``o`` through kept
        edges."""
        to_outputs = [torch.eye(self.widths[-1], dtype=torch.bool)]
        for m in reversed(mask):
            # (n_out, d_out) ∘ (d_out, d_in): output o reaches source u through some receiver
            reach = (to_outputs[0].to(torch.float32) @ m.to(torch.float32)) > 0
            to_outputs.insert(0, reach)
        return to_outputs

    def output_reach(self, mask: EdgeMask) -> list[torch.Tensor]:
        """Per node layer, a (n_outputs, width) bool: the neuron lies on a kept input→output path.

        Entry ``[o, n]`` is True when some input reaches neuron ``n`` through kept edges and ``n``
        reaches output ``o`` through kept edges. Layer 0 row ``o`` is the set of inputs output
        ``o`` depends on in the circuit.
        """
        self.check_mask(mask)
        return [
            to & fr[None, :]
            for to, fr in zip(self._to_outputs(mask), self._from_inputs(mask), strict=True)
        ]

    def edges_on_paths(self, mask: EdgeMask) -> EdgeMask:
        """The kept edges that lie on some kept input→output path (the rest dangle: they start
        at a neuron no input reaches, or end at one that reaches no output)."""
        self.check_mask(mask)
        from_inputs = self._from_inputs(mask)
        to_any = [t.any(dim=0) for t in self._to_outputs(mask)]
        return [m & to_any[i + 1][:, None] & from_inputs[i][None, :] for i, m in enumerate(mask)]

    def dangling_nodes(self, mask: EdgeMask) -> int:
        """Neurons that touch a kept edge but lie on no kept input→output path."""
        self.check_mask(mask)
        touched = [torch.zeros(w, dtype=torch.bool) for w in self.widths]
        for i, m in enumerate(mask):
            touched[i] |= m.any(dim=0)
            touched[i + 1] |= m.any(dim=1)
        active = self.active_nodes(mask)
        return int(sum(int((t & ~a).sum()) for t, a in zip(touched, active, strict=True)))

    def active_nodes(self, mask: EdgeMask) -> list[torch.Tensor]:
        """Per node layer, a (width,) bool: the neuron lies on some kept input→output path."""
        return [reach.any(dim=0) for reach in self.output_reach(mask)]

    def count_nodes(self, mask: EdgeMask) -> int:
        return int(sum(int(a.sum()) for a in self.active_nodes(mask)))
