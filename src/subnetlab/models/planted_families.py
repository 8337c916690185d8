"""A feed-forward network whose layers form planted families at chosen spacings: the known answer
that GW layer grouping is scored against (``model=planted_families``; ``method=gw`` reports the
adjusted Rand index of its groups against the families).

What GW compares is each layer's N×N distance matrix on the probe set, up to isometry, so a family
is a set of layers with the same distance matrix up to a small perturbation, and the spacing of two
families is how far their distance matrices are apart. Every layer's output is its family's
representation c (through a fresh orthogonal map, which leaves the distances unchanged) next to a
perturbation of its own: ``[Q_t c, ν · tanh(g · P_t c + b_t)]``, so squared distances are
``D_t² = D_c² + ν² D_{e_t}²``. The next layer reads only the ``Q_t c`` part, so perturbations do not
add up along a family (unlike ``methods/gw/synthetic.PlantedGroupsNet``, whose noise drifts): a
family is a tight set however long it is.

Family f + 1 opens from family f's representation with spacing s ∈ (0, 1]:
``c' = [√(1 − s) · c, √s · tanh(W c + b)]``, so ``D'² = (1 − s) D_c² + s D_new²``: the share s of
its squared distances is new geometry. s = 1 is an unrelated family (the old representation is
dropped); a small s keeps most of family f's geometry, so GW between the two families is small.
Measured with method=gw's distances and solver (200 Gaussian probes, mean of three seeds): GW
between two families is about 4e-5, 1.6e-4, 3.8e-4, 8.6e-4 and 2.8e-3 at s = 0.1, 0.2, 0.3, 0.5
and 1 (about 3e-3 × s²), and GW between two layers of a family about 5.6e-7, 8.6e-6, 3.8e-5 and
2.2e-4 at ν = 0.1, 0.2, 0.3 and 0.5 (about 5e-3 × ν⁴).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from subnetlab.registry import register_model
from subnetlab.schemas.planted_families import PlantedFamiliesSchema


class _PlantedLayer(nn.Module):
    """One layer: reads its family's representation (the first ``clean_in`` features of its input),
    opens a new family from it when ``spacing`` is given, rotates it and appends its own
    perturbation. Its weights are parameters (drawn, never trained); a layer that opens no family
    has empty ``open_weight`` / ``open_bias``."""

    def __init__(
        self,
        clean_in: int,
        width: int,
        spacing: float | None,
        within_noise: float,
        gain: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.clean_in, self.spacing, self.within_noise, self.gain = (
            clean_in,
            spacing,
            within_noise,
            gain,
        )
        if spacing is None:
            self.clean_out = clean_in
            self.open_weight = nn.Parameter(torch.empty(0))
            self.open_bias = nn.Parameter(torch.empty(0))
        else:
            self.clean_out = width if spacing == 1.0 else clean_in + width
            weight = torch.randn(width, clean_in, generator=generator) * gain / clean_in**0.5
            self.open_weight = nn.Parameter(weight)
            self.open_bias = nn.Parameter(torch.randn(width, generator=generator) * 0.5)
        rotation, _ = torch.linalg.qr(
            torch.randn(self.clean_out, self.clean_out, generator=generator)
        )
        self.rotation = nn.Parameter(rotation)
        perturb = torch.randn(width, self.clean_out, generator=generator) / self.clean_out**0.5
        self.perturb_weight = nn.Parameter(perturb)
        self.perturb_bias = nn.Parameter(torch.randn(width, generator=generator) * 0.5)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(B, ≥ clean_in) → (B, clean_out + width)."""
        clean = h[:, : self.clean_in]
        if self.spacing is not None:
            new = torch.tanh(clean @ self.open_weight.T + self.open_bias)
            if self.spacing == 1.0:
                clean = new
            else:
                kept = math.sqrt(1.0 - self.spacing)
                clean = torch.cat([kept * clean, math.sqrt(self.spacing) * new], dim=1)
        clean = clean @ self.rotation.T
        own = torch.tanh(self.gain * clean @ self.perturb_weight.T + self.perturb_bias)
        return torch.cat([clean, self.within_noise * own], dim=1)


class PlantedFamiliesNet(nn.Module):
    """``layers.0 … layers.{L−1}``: family f covers ``family_sizes[f]`` consecutive layers. The
    family of each layer is the buffer ``family_labels`` ((L,) int64), saved with the state dict.

    Args:
        family_sizes: layers per family, e.g. [4, 4, 4].
        spacing: ``len(family_sizes) − 1`` values in (0, 1]: ``spacing[f]`` is the share of
            family f + 1's squared distances that is new against family f (1 = unrelated).
        within_noise: ν ≥ 0, the size of each layer's own perturbation (0: the layers of a family
            are exact isometries of each other).
        seed: the weights are drawn from this seed only.
        d_in: input width (the probes are d_in-dimensional); width: features each family opener
            adds, and each layer's perturbation width.
        gain: scale of the tanh maps' weights (larger = more nonlinear, geometries more distinct).

    Raises:
        ValueError: an empty or non-positive ``family_sizes``, a ``spacing`` of the wrong length or
            outside (0, 1], a negative ``within_noise``. (``model=planted_families`` checks the
            same in its schema, before any work.)
    """

    family_labels: torch.Tensor  # buffer registered in __init__

    def __init__(
        self,
        family_sizes: list[int],
        spacing: list[float],
        within_noise: float,
        seed: int,
        *,
        d_in: int,
        width: int,
        gain: float,
    ) -> None:
        super().__init__()
        if not family_sizes or min(family_sizes) < 1:
            raise ValueError(
                f"family_sizes must be a non-empty list of positive ints; got {family_sizes}"
            )
        if len(spacing) != len(family_sizes) - 1 or not all(0.0 < s <= 1.0 for s in spacing):
            raise ValueError(
                f"spacing must hold {len(family_sizes) - 1} values in (0, 1] (one between each "
                f"two consecutive families); got {spacing}"
            )
        if not within_noise >= 0.0:
            raise ValueError(f"within_noise must be >= 0; got {within_noise}")
        generator = torch.Generator().manual_seed(seed)
        layers: list[_PlantedLayer] = []
        clean = d_in
        for family, size in enumerate(family_sizes):
            opening = 1.0 if family == 0 else spacing[family - 1]  # the first reads the input
            for index in range(size):
                layer = _PlantedLayer(
                    clean,
                    width,
                    opening if index == 0 else None,
                    within_noise,
                    gain,
                    generator,
                )
                layers.append(layer)
                clean = layer.clean_out
        self.layers = nn.Sequential(*layers)
        labels = [f for f, size in enumerate(family_sizes) for _ in range(size)]
        self.register_buffer("family_labels", torch.tensor(labels, dtype=torch.int64))
        self.family_sizes, self.spacing = list(family_sizes), list(spacing)
        self.within_noise, self.d_in = within_noise, d_in

    @property
    def layer_names(self) -> list[str]:
        """``layers.0 … layers.{L−1}``, in depth order."""
        return [f"layers.{i}" for i in range(len(self.layers))]

    def block_names(self) -> list[str]:
        """The layers whose outputs GW compares (``layer_names``)."""
        return self.layer_names

    def families_of(self, names: list[str]) -> list[int]:
        """The planted family of each named layer. Raises ValueError for a name that is not one
        of ``layer_names``."""
        family = dict(zip(self.layer_names, self.family_labels.tolist(), strict=True))
        unknown = [name for name in names if name not in family]
        if unknown:
            raise ValueError(f"{unknown} are not planted layers; they are {self.layer_names}")
        return [family[name] for name in names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, d_in) → (B, the last layer's width)."""
        return self.layers(x)


@register_model("planted_families", PlantedFamiliesSchema, recipe=None, weights_from_config=True)
def build_planted_families(cfg: PlantedFamiliesSchema) -> PlantedFamiliesNet:
    """The planted net a ``model=planted_families`` config describes."""
    return PlantedFamiliesNet(
        cfg.sizes(),
        cfg.spacings(),
        cfg.within_noise,
        cfg.seed,
        d_in=cfg.d_in,
        width=cfg.width,
        gain=cfg.gain,
    )
