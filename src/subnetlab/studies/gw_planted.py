"""``study=gw_planted``: does GW layer grouping find planted layer families? One network whose
layers form families at chosen spacings (``methods/gw/planted_families.py``), built from the run's
seed rather than trained, grouped by GW with ``method=gw``'s settings and scored against its
families by the adjusted Rand index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from subnetlab.lifecycle.outputs import figure_footer, save_figures
from subnetlab.lifecycle.runner import run_device
from subnetlab.methods.gw.planted_recovery import recover_planted_families
from subnetlab.schemas.gw import GWSchema
from subnetlab.schemas.gw_studies import GWPlantedSchema
from subnetlab.schemas.run import RunConfig


def gw_planted(raw: dict[str, Any], cfg: RunConfig, run_dir: Path) -> dict[str, float]:
    """Group the layers of the planted network of ``study.*`` drawn from ``seed``.

    Writes ``planted.json`` (families, sizes, spacings, groups, ARI), the group outputs of
    ``method=gw`` (``groups.json``, ``gw.npy``, ``identity_loss.npy``) and their figures.
    Returns ``ari``, ``n_groups`` (the chosen k), ``planted_groups`` (the planted k) and the other
    ``PlantedRecovery.metrics``. ``model=`` and ``dataset=`` are not read.
    """
    planted: GWPlantedSchema = cfg.study
    gw_cfg: GWSchema = cfg.method
    recovery = recover_planted_families(planted, cfg.seed, gw_cfg, run_device(cfg.trainer))
    recovery.save(run_dir)
    what = f"study gw_planted ({len(planted.sizes())} families, spacing {planted.spacings()})"
    footer = figure_footer(run_dir, what, cfg.seed, f"ARI {recovery.ari:.2f}")
    save_figures(recovery.groups.figures(), run_dir, None, 0, footer)
    return recovery.metrics()
