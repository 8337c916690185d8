"""A multilayer perceptron whose neurons have positions in space (the BIMT network).

Every layer of *units* has fixed slot positions (buffers). BIMT moves neurons between slots by
swapping their weights; input and output swaps are recorded in ``in_perm``/``out_perm`` so the
function the network computes, in the task's own feature and class order, never changes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.models.geometry import GEOMETRIES, Geometry, layer_positions
from subnetlab.models.layered import ACTIVATIONS, LayeredNet
from subnetlab.registry import register_model
from subnetlab.schemas.mlp import MLPSchema


class Activation(nn.Module):
    """A named elementwise activation as a module, so that hooks can read its output."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ACTIVATIONS[self.name](x)

    def extra_repr(self) -> str:
        return self.name


class MLP(nn.Module):
    """Feed-forward net ``widths[0] -> ... -> widths[-1]`` with an optional token embedding.

    Args:
        widths: neurons per layer, inputs first. With an embedding, ``widths[0]`` is
            ``n_tokens * embed_dim`` (the concatenated token embeddings).
        activation: applied after every layer except the last (SiLU as in BIMT).
        vocab_size: if set, inputs are token ids (batch, n_tokens) looked up in a learned
            (vocab_size, embed_dim) table.
        embed_dim: width of one token embedding; required with ``vocab_size``.
        geometry: ``line`` (1-D layers) or ``grid`` (image grid in, 2-D hidden grids, output ring).
        image_shape: (rows, cols) of the input grid for ``geometry="grid"``.
        input_fold: inputs ``u, u + n, u + 2n, ...`` (n = widths[0] / input_fold) share one slot
            and move together; defaults to ``n_tokens`` with an embedding (the same embedding
            dimension of every token), else 1.
    """

    # buffers registered in __init__ (declared so that they read as tensors, not as Modules)
    in_perm: torch.Tensor
    out_perm: torch.Tensor

    def __init__(
        self,
        widths: list[int],
        activation: str = "silu",
        vocab_size: int | None = None,
        embed_dim: int | None = None,
        geometry: Geometry = "line",
        image_shape: tuple[int, int] | None = None,
        input_fold: int | None = None,
    ) -> None:
        super().__init__()
        if len(widths) < 2 or any(w < 1 for w in widths):
            raise ValueError(f"widths={widths} must list at least two positive layer widths")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation={activation!r} is not supported; allowed: {sorted(ACTIVATIONS)}"
            )
        if geometry not in GEOMETRIES:
            raise ValueError(f"geometry={geometry!r} is not supported; allowed: {list(GEOMETRIES)}")
        self.widths = list(widths)
        self.activation = activation
        self.geometry = geometry
        self.embedding: nn.Embedding | None = None
        if vocab_size is not None:
            if embed_dim is None or embed_dim < 1 or widths[0] % embed_dim:
                raise ValueError(
                    f"embed_dim={embed_dim} must be a positive divisor of widths[0]={widths[0]} "
                    "when vocab_size is set"
                )
            self.embedding = nn.Embedding(vocab_size, embed_dim)
            self.n_tokens = widths[0] // embed_dim
        elif embed_dim is not None:
            raise ValueError("embed_dim is only meaningful together with vocab_size")
        else:
            self.n_tokens = 0
        fold = input_fold if input_fold is not None else max(self.n_tokens, 1)
        if fold < 1 or widths[0] % fold:
            raise ValueError(f"input_fold={fold} must be a positive divisor of widths[0]")
        if self.embedding is not None and fold != self.n_tokens:
            raise ValueError(
                f"input_fold={fold} must equal n_tokens={self.n_tokens} with a token embedding"
            )
        self.input_fold = fold
        self.linears = nn.ModuleList(
            nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1)
        )
        # hidden[i] follows linears[i]; its output is hidden layer i (parameter-free)
        self.hidden = nn.ModuleList(Activation(activation) for _ in range(len(widths) - 2))
        for layer, pos in enumerate(
            layer_positions(self.unit_counts, geometry, image_shape=image_shape)
        ):
            self.register_buffer(f"positions_{layer}", pos.to(torch.get_default_dtype()))
        self.register_buffer("in_perm", torch.arange(widths[0]))
        self.register_buffer("out_perm", torch.arange(widths[-1]))

    def layout_buffers(self) -> list[str]:
        """Buffers that only record where BIMT moved neurons (slot positions, input and output
        permutations): a network never rearranged, e.g. one given as a plain state dict, has
        their constructed values."""
        return [name for name, _ in self.named_buffers()]

    @property
    def unit_counts(self) -> list[int]:
        """Movable units per layer: input slots (after folding), hidden neurons, outputs."""
        return [self.widths[0] // self.input_fold, *self.widths[1:]]

    @property
    def linear_layers(self) -> list[nn.Linear]:
        """The weight layers of ``linears`` in depth order, typed as what they are."""
        layers = []
        for linear in self.linears:
            assert isinstance(linear, nn.Linear)
            layers.append(linear)
        return layers

    @property
    def n_layers(self) -> int:
        """Number of weight matrices."""
        return len(self.linears)

    def block_names(self) -> list[str]:
        """Module names of the hidden layers' outputs (after the activation) in depth order: the
        default GW layers."""
        return [f"hidden.{i}" for i in range(len(self.hidden))]

    def positions(self, layer: int) -> torch.Tensor:
        """Slot positions of layer ``layer`` (0 = inputs): (unit_counts[layer], D)."""
        return getattr(self, f"positions_{layer}")

    def input_positions_full(self) -> torch.Tensor:
        """Position of every input column, folds repeated: (widths[0], D)."""
        return self.positions(0).repeat(self.input_fold, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, widths[0]) features in task order, or (batch, n_tokens) token ids.

        Returns (batch, widths[-1]) outputs in task order. Raises ValueError for inputs of
        another width (indexing by the input permutation would otherwise drop the extra ones).
        """
        expected = self.n_tokens if self.embedding is not None else self.widths[0]
        if x.shape[-1] != expected:
            what = "token ids" if self.embedding is not None else "features"
            raise ValueError(
                f"MLP of widths {self.widths} reads {expected} {what} per example, got inputs of "
                f"shape {tuple(x.shape)}"
            )
        if self.embedding is not None:
            h = self.embedding(x).flatten(-2)
        else:
            h = x[..., self.in_perm]
        for i, linear in enumerate(self.linears):
            h = linear(h)
            if i < self.n_layers - 1:
                h = self.hidden[i](h)
        return h[..., torch.argsort(self.out_perm)]

    def unit_tensors(self, layer: int) -> list[tuple[torch.Tensor, int, int]]:
        """Every tensor indexed by the units of ``layer``, as (tensor, dim, fold).

        Along ``dim`` the tensor holds ``fold`` blocks of ``unit_counts[layer]`` entries; swapping
        units i and j swaps entries ``i + f*n`` and ``j + f*n`` of every block.
        """
        last = self.n_layers
        if not 0 <= layer <= last:
            raise ValueError(f"layer={layer} out of range; allowed 0..{last}")
        out: list[tuple[torch.Tensor, int, int]] = []
        if layer == 0:
            out.append((self.linear_layers[0].weight, 1, self.input_fold))
            if self.embedding is not None:
                out.append((self.embedding.weight, 1, 1))
            else:
                out.append((self.in_perm, 0, self.input_fold))
            return out
        out += [
            (self.linear_layers[layer - 1].weight, 0, 1),
            (self.linear_layers[layer - 1].bias, 0, 1),
        ]
        if layer < last:
            out.append((self.linear_layers[layer].weight, 1, 1))
        else:
            out.append((self.out_perm, 0, 1))
        return out

    def to_layered_net(self, task_order: bool = True) -> LayeredNet:
        """The weights as a LayeredNet (detached copies).

        ``task_order=True``: inputs and outputs in the task's order; with an embedding the table
        is folded into the first layer, whose inputs become the one-hot tokens
        (``n_tokens * vocab_size`` nodes, token t's id v at ``t * vocab_size + v``).
        ``task_order=False``: the internal (slot) order, embedding left out.
        """
        weights = [lin.weight.detach().clone() for lin in self.linear_layers]
        biases = [lin.bias.detach().clone() for lin in self.linear_layers]
        if task_order:
            if self.embedding is not None:
                table = self.embedding.weight.detach()
                d = table.shape[1]
                weights[0] = torch.cat(
                    [weights[0][:, t * d : (t + 1) * d] @ table.T for t in range(self.n_tokens)],
                    dim=1,
                )
            else:
                weights[0] = weights[0][:, torch.argsort(self.in_perm)]
            inverse_out = torch.argsort(self.out_perm)
            weights[-1] = weights[-1][inverse_out]
            biases[-1] = biases[-1][inverse_out]
        return LayeredNet(weights=weights, biases=biases, activation=self.activation)

    def embedded_inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        """One-hot encoding matching ``to_layered_net()`` inputs: (batch, n_tokens*vocab_size)."""
        if self.embedding is None:
            raise ValueError("embedded_inputs needs a model with a token embedding")
        vocab = self.embedding.num_embeddings
        return F.one_hot(tokens, vocab).flatten(-2).to(self.linear_layers[0].weight.dtype)


@register_model("mlp", MLPSchema, recipe="image_classifier")
def build_mlp(cfg: MLPSchema) -> MLP:
    """The MLP a ``model=mlp*`` config describes."""
    return MLP(**cfg.model_kwargs())
