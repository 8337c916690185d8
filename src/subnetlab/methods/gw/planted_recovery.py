"""Does GW layer grouping find planted families? The GW groups of a ``PlantedFamiliesNet``'s
layers scored against its families with the adjusted Rand index (Hubert & Arabie 1985).
``method=gw`` scores every ``model=planted_families`` target this way (``experiment=gw_planted``);
``planted_family_recovery`` is the same as one plain call for benchmark tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from subnetlab.data.gaussian_inputs import gaussian_probes
from subnetlab.methods.gw.analysis import LayerGroups, analyse_layers, layer_representations
from subnetlab.methods.gw.grouping import adjusted_rand_index
from subnetlab.models.planted_families import PlantedFamiliesNet, build_planted_families
from subnetlab.schemas.base import from_dict
from subnetlab.schemas.gw import GWSchema
from subnetlab.schemas.planted_families import PlantedFamiliesSchema

#: ``experiment=gw_planted``'s GW settings (its YAML sets the same; a test keeps them equal):
#: 200 probes keep a 16-layer run at about a second, the CKA/Procrustes baselines are skipped
PLANTED_GW = from_dict(GWSchema, {"probe_size": 200, "baselines": False}, "method")


@dataclass
class PlantedRecovery:
    """GW groups of (some of) a planted network's layers beside their planted families."""

    groups: LayerGroups
    net: PlantedFamiliesNet

    @property
    def families(self) -> np.ndarray:
        """(L,) the planted family of each grouped layer."""
        return np.array(self.net.families_of(self.groups.layers))

    @property
    def ari(self) -> float:
        """Adjusted Rand index of the GW groups against the families (1 = the same partition)."""
        return adjusted_rand_index(self.groups.clusters, self.families)

    def metrics(self) -> dict[str, float]:
        """The group metrics (``n_groups`` is the chosen k), ``ari``, ``planted_groups`` (the
        planted k among the grouped layers), ``segments_ari`` (the contiguous segmentation into
        the chosen k against the families), ``gw_within_max`` (largest GW inside a family) and
        ``gw_between_min`` (smallest mean GW between two consecutive families; NaN with one)."""
        gw = self.groups.result.gw
        families = self.families
        present = np.unique(families)
        same = families[:, None] == families[None, :]
        off_diagonal = ~np.eye(len(families), dtype=bool)
        within = gw[same & off_diagonal]
        between = [
            float(gw[np.ix_(families == a, families == b)].mean())
            for a, b in zip(present[:-1], present[1:], strict=True)
        ]
        return {
            **self.groups.metrics(),
            "ari": self.ari,
            "planted_groups": float(len(present)),
            "segments_ari": adjusted_rand_index(self.groups.segments, families),
            "gw_within_max": float(within.max()) if within.size else 0.0,
            "gw_between_min": min(between) if between else float("nan"),
        }

    def save(self, run_dir: Path) -> None:
        """The group outputs (``LayerGroups.save``) and ``planted.json``: the families of the
        layers, the net's family sizes, spacings and noise, and the groups' ARI."""
        self.groups.save(run_dir)
        record: dict[str, Any] = {
            "layers": self.groups.layers,
            "families": self.families.tolist(),
            "family_sizes": self.net.family_sizes,
            "spacing": self.net.spacing,
            "within_noise": self.net.within_noise,
            "clusters": self.groups.clusters.tolist(),
            "ari": self.ari,
        }
        (run_dir / "planted.json").write_text(json.dumps(record, indent=2))


def planted_family_recovery(
    n_families: int, seed: int, gw: GWSchema = PLANTED_GW, **planted: Any
) -> dict[str, float]:
    """One planted network's recovery on the CPU, as ``experiment=gw_planted seed=<seed>
    model.n_families=<n_families>`` reports it, in a second or two: ``ari``, ``n_groups`` (the
    chosen k), ``planted_groups`` (the planted k) and the other ``PlantedRecovery.metrics``.

    Args:
        gw: the GW settings (default: the experiment's); ``gw.probe_size`` Gaussian probes of
            ``dataset=gaussian_inputs`` drawn from ``seed``.
        planted: other ``model.*`` settings of ``PlantedFamiliesSchema`` (e.g.
            ``near_spacing=0.1``, ``within_noise=0.3``); the rest take the schema's defaults.

    Raises:
        ConfigError: a setting unknown to ``PlantedFamiliesSchema`` or out of its range.
    """
    settings = {"n_families": n_families, "seed": seed, **planted}
    net = build_planted_families(from_dict(PlantedFamiliesSchema, settings, "model"))
    probe = gaussian_probes(gw.probe_size, net.d_in, seed)
    reps = layer_representations(net, net.layer_names, probe, gw.pooling)
    groups = analyse_layers(reps, gw, torch.device("cpu"))
    return PlantedRecovery(groups, net).metrics()
