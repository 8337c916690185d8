"""Does GW layer grouping find planted families? Build a ``PlantedFamiliesNet``, probe it with
Gaussian inputs, group its layers by GW and score the groups against the families with the
adjusted Rand index (Hubert & Arabie 1985). ``study=gw_planted`` runs it as a run;
``planted_family_recovery`` is the same as one plain call for benchmark tables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from subnetlab.methods.gw.analysis import LayerGroups, analyse_layers, layer_representations
from subnetlab.methods.gw.grouping import adjusted_rand_index
from subnetlab.methods.gw.planted_families import PlantedFamiliesNet
from subnetlab.schemas.base import from_dict
from subnetlab.schemas.gw import GWSchema
from subnetlab.schemas.gw_studies import GWPlantedSchema

#: ``experiment=gw_planted``'s GW settings (its YAML sets the same; a test keeps them equal):
#: 200 probes keep a 16-layer run at about a second, the CKA/Procrustes baselines are skipped
PLANTED_GW = from_dict(GWSchema, {"probe_size": 200, "baselines": False}, "method")


def probe_inputs(n_probes: int, d_in: int, seed: int) -> torch.Tensor:
    """(n_probes, d_in) standard Gaussian probes from a stream of their own: the network's weights
    come from ``torch.Generator().manual_seed(seed)``, these from a seed that numpy's SeedSequence
    derives from (seed, 1) (torch's CPU generator keeps 32 bits of its seed, so seed + 2³² would
    repeat the weights' stream)."""
    probe_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    generator = torch.Generator().manual_seed(probe_seed)
    return torch.randn(n_probes, d_in, generator=generator)


@dataclass
class PlantedRecovery:
    """GW groups of a planted network's layers beside its planted families."""

    groups: LayerGroups
    families: np.ndarray  # (L,) planted family of each layer
    planted: GWPlantedSchema

    @property
    def ari(self) -> float:
        """Adjusted Rand index of the GW groups against the families (1 = the same partition)."""
        return adjusted_rand_index(self.groups.clusters, self.families)

    def metrics(self) -> dict[str, float]:
        """The group metrics (``n_groups`` is the chosen k), ``ari``, ``planted_groups`` (the
        planted k), ``segments_ari`` (the contiguous segmentation into the chosen k against the
        families), ``gw_within_max`` (largest GW inside a family) and ``gw_between_min``
        (smallest mean GW between two consecutive families; NaN with one family)."""
        gw = self.groups.result.gw
        n_families = int(self.families.max()) + 1
        same = self.families[:, None] == self.families[None, :]
        off_diagonal = ~np.eye(len(self.families), dtype=bool)
        within = gw[same & off_diagonal]
        between = [
            float(gw[np.ix_(self.families == f, self.families == f + 1)].mean())
            for f in range(n_families - 1)
        ]
        return {
            **self.groups.metrics(),
            "ari": self.ari,
            "planted_groups": float(n_families),
            "segments_ari": adjusted_rand_index(self.groups.segments, self.families),
            "gw_within_max": float(within.max()) if within.size else 0.0,
            "gw_between_min": min(between) if between else float("nan"),
        }

    def save(self, run_dir: Path) -> None:
        """The group outputs (``LayerGroups.save``) and ``planted.json``: the families of the
        layers, the sizes and spacings, the noise, and the groups' ARI."""
        self.groups.save(run_dir)
        record: dict[str, Any] = {
            "layers": self.groups.layers,
            "families": self.families.tolist(),
            "family_sizes": self.planted.sizes(),
            "spacing": self.planted.spacings(),
            "within_noise": self.planted.within_noise,
            "clusters": self.groups.clusters.tolist(),
            "ari": self.ari,
        }
        (run_dir / "planted.json").write_text(json.dumps(record, indent=2))


def recover_planted_families(
    planted: GWPlantedSchema, seed: int, gw: GWSchema, device: torch.device
) -> PlantedRecovery:
    """The ``planted`` network drawn from ``seed``, probed with ``gw.probe_size`` Gaussian inputs,
    its layers grouped by GW as ``gw`` says (the batched solver on ``device``)."""
    net = PlantedFamiliesNet(planted.sizes(), planted.spacings(), planted.within_noise, seed)
    probe = probe_inputs(gw.probe_size, net.d_in, seed)
    reps = layer_representations(net, net.layer_names, probe, gw.pooling)
    groups = analyse_layers(reps, gw, device)
    return PlantedRecovery(groups, np.array(net.family_labels), planted)


def planted_family_recovery(
    n_families: int, seed: int, gw: GWSchema = PLANTED_GW, **planted: Any
) -> dict[str, float]:
    """One planted network's recovery on the CPU, as ``experiment=gw_planted seed=<seed>
    study.n_families=<n_families>`` reports it, in a second or two: ``ari``, ``n_groups`` (the
    chosen k), ``planted_groups`` (the planted k) and the other ``PlantedRecovery.metrics``.

    Args:
        gw: the GW settings (default: the experiment's).
        planted: other ``study.*`` settings of ``GWPlantedSchema`` (e.g. ``near_spacing=0.1``,
            ``within_noise=0.3``); the rest take the schema's defaults.

    Raises:
        ConfigError: a setting unknown to ``GWPlantedSchema`` or out of its range.
    """
    settings = from_dict(GWPlantedSchema, {"n_families": n_families, **planted}, "study")
    return recover_planted_families(settings, seed, gw, torch.device("cpu")).metrics()
