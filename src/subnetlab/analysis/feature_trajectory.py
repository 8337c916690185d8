"""Which subcomponents carry which feature over a decomposition of a TMS target: one snapshot per
evaluation, the diagnosis of the last one (why a seed failed), and the figure of the trajectory.

A clean decomposition of TMS (SPD, arXiv:2506.20790, §3.1) gives every feature j exactly one
subcomponent that is causally important on j's one-hot input, is important on no other feature's,
and reproduces j's column of W in direction (cosine, MMCS) and length (norm ratio, ML2R).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from subnetlab.analysis.column_matching import match_columns  # noqa: E402

#: the ways a feature can fail, in the order the diagnosis reports them
FAILURE_KINDS = ("missing", "split", "merged", "shrunk")
#: features up to which the figure writes the active subcomponents' indices into its cells
LABELLED_FEATURES = 12


@dataclass(frozen=True)
class FeatureSnapshot:
    """The decomposition of one matrix at one step, per feature j (all lists of length d_in):
    ``carrier[j]`` the subcomponent matched to column j (highest cosine), ``cosine[j]`` and
    ``norm_ratio[j]`` its column's cosine and norm ratio to column j, and ``active[j]`` the
    subcomponents whose causal importance on j's one-hot input exceeds the threshold."""

    step: int
    carrier: list[int]
    cosine: list[float]
    norm_ratio: list[float]
    active: list[list[int]]


def feature_snapshot(
    step: int,
    target_weight: torch.Tensor,
    V: torch.Tensor,
    U: torch.Tensor,
    ci_one_hot: torch.Tensor,
    threshold: float,
) -> FeatureSnapshot:
    """Snapshot of a matrix W (d_out, d_in) decomposed as Wᵀ ≈ V U (V (d_in, C), U (C, d_out)),
    with ``ci_one_hot`` (d_in, C) the causal importances on the d_in one-hot inputs.

    Raises:
        ValueError: mismatched shapes (from ``match_columns``, or ``ci_one_hot`` not (d_in, C)).
    """
    match = match_columns(target_weight, V, U)
    if ci_one_hot.shape != (V.shape[0], V.shape[1]):
        raise ValueError(
            f"ci_one_hot must be (d_in, C) = {tuple(V.shape)}; got {tuple(ci_one_hot.shape)}"
        )
    active = [torch.nonzero(row > threshold).flatten().tolist() for row in ci_one_hot]
    return FeatureSnapshot(
        step=step,
        carrier=match.subcomponent.tolist(),
        cosine=[round(float(v), 6) for v in match.cosine],
        norm_ratio=[round(float(v), 6) for v in match.norm_ratio],
        active=active,
    )


def diagnose(snapshot: FeatureSnapshot, ratio_tolerance: float = 0.05) -> dict[str, list[int]]:
    """The features failing each way (a feature can fail several):

    - ``missing``: no subcomponent is important on its one-hot input;
    - ``split``: two or more are (the feature is shared out);
    - ``merged``: one of its important subcomponents is important on another feature too;
    - ``shrunk``: its matched column's norm ratio is off 1 by more than ``ratio_tolerance``
      (the length is still being shared or learned: an unconverged feature).
    """
    users: dict[int, int] = {}
    for subcomponents in snapshot.active:
        for c in subcomponents:
            users[c] = users.get(c, 0) + 1
    return {
        "missing": [j for j, a in enumerate(snapshot.active) if not a],
        "split": [j for j, a in enumerate(snapshot.active) if len(a) > 1],
        "merged": [j for j, a in enumerate(snapshot.active) if any(users[c] > 1 for c in a)],
        "shrunk": [j for j, r in enumerate(snapshot.norm_ratio) if abs(r - 1.0) > ratio_tolerance],
    }


def trajectory_figure(
    snapshots: list[FeatureSnapshot], name: str, marks: dict[int, str] | None = None
) -> Figure:
    """Three panels over the steps of ``snapshots``: each feature's matched cosine, its norm
    ratio (band: ML2R's ±5 %), and how many subcomponents are important on its one-hot input
    (1 = clean; the cells name them while there are at most ``LABELLED_FEATURES`` features).
    ``marks``: steps to draw a labelled vertical line at (e.g. where a candidate was chosen).

    Raises:
        ValueError: no snapshots.
    """
    if not snapshots:
        raise ValueError("no snapshots to draw")
    steps = [s.step for s in snapshots]
    n_features = len(snapshots[0].carrier)
    cosine = np.array([s.cosine for s in snapshots])
    ratio = np.array([s.norm_ratio for s in snapshots])
    counts = np.array([[min(len(a), 3) for a in s.active] for s in snapshots]).T
    fig, (ax_cos, ax_ratio, ax_active) = plt.subplots(
        3,
        1,
        figsize=(7.0, 6.8 + 0.12 * n_features),
        layout="constrained",
        height_ratios=[1.0, 1.0, 0.6 + 0.08 * n_features],
    )
    colors = plt.get_cmap("tab10" if n_features <= 10 else "viridis")
    for j in range(n_features):
        color = colors(j if n_features <= 10 else j / max(n_features - 1, 1))
        label = f"feature {j}" if n_features <= 10 else None
        ax_cos.plot(steps, cosine[:, j], color=color, marker=".", label=label)
        ax_ratio.plot(steps, ratio[:, j], color=color, marker=".")
    ax_cos.set_ylabel("cosine of matched\nsubcomponent")
    ax_cos.set_title(f"{name}: which subcomponent carries each feature")
    if n_features <= 10:
        ax_cos.legend(fontsize=7, ncol=5, loc="lower right")
    ax_ratio.axhspan(0.95, 1.05, color="tab:green", alpha=0.15, label="ML2R ±5 %")
    ax_ratio.set_ylabel("norm ratio of matched\nsubcomponent")
    ax_ratio.legend(fontsize=7, loc="lower right")
    cmap = ListedColormap(["#d62728", "#2ca02c", "#ff7f0e", "#9467bd"])
    ax_active.imshow(counts, cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto", interpolation="none")
    ax_active.set_xticks(range(len(steps)), [str(s) for s in steps], rotation=45, fontsize=7)
    ax_active.set_xlabel("step")
    ax_active.set_ylabel("feature")
    ax_active.set_title(
        "subcomponents important on the feature's one-hot input "
        "(red 0 missing, green 1 clean, orange 2 split, purple 3+)",
        fontsize=8,
    )
    if n_features <= LABELLED_FEATURES:
        for col, snap in enumerate(snapshots):
            for j, subcomponents in enumerate(snap.active):
                text = ",".join(str(c) for c in subcomponents[:3]) or "–"
                text += "…" if len(subcomponents) > 3 else ""
                ax_active.text(col, j, text, ha="center", va="center", fontsize=6)
    for ax in (ax_cos, ax_ratio):
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        for step, label in (marks or {}).items():
            ax.axvline(step, color="black", linestyle="--", linewidth=0.8)
            ax.annotate(
                f" {label}",
                (step, 1.0),
                xycoords=("data", "axes fraction"),
                fontsize=7,
                va="top",
            )
    return fig
