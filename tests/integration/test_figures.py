"""Every method's and study's figures, rendered by short real runs, are readable at their saved
size: no strip of tiny panels, no text under 6 pt, no overlapping tick labels, labelled axes
and colorbars (distances and similarities say which way is more similar), a legend where colour
carries meaning, and the provenance footer (run folder, method, seed, steps)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import matplotlib
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from subnetlab.analysis import figure_files
from subnetlab.analysis.figure_files import footer_text
from subnetlab.lifecycle import outputs
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import save_target
from subnetlab.models.mlp import MLP
from subnetlab.schemas.mlp import MLPSchema
from tests.conftest import compose_raw, tiny_transformer

matplotlib.use("Agg")

MAX_SIDE_PX = 2400
MAX_ASPECT = 3.2  # the old GW strip was 2369 × 379 (6.3)
MIN_FONT_PT = 6.0
FAST = ["debug=fast", "trainer.progress_bar=false"]

#: run name -> (overrides, the figures it must save); targets are trained on the fly (20 steps)
RUNS: dict[str, tuple[list[str], set[str]]] = {
    "spd_tms": (
        ["method=spd", "model=tms", "method.eval_every=1000", *FAST],
        {"ci_permuted_one_hot", "subcomponent_norms", "ci_histograms"},
    ),
    "spd_transformer": (
        [
            "method=spd",
            "model=transformer",
            "dataset.batch_size=32",
            "dataset.eval_size=64",
            "method.eval_every=1000",
            *FAST,
        ],
        {"ci_l0_and_alive", "reconstruction_by_mask", "subcomponent_norms"},
    ),
    "apd_tms": (
        ["method=apd", "model=tms", "method.eval_every=1000", *FAST],
        {"attribution_shares_one_hot", "component_norms"},
    ),
    "train_tms": (["method=train", "model=tms", *FAST], {"training_loss", "feature_directions"}),
    "bimt_independence": (["experiment=bimt_independence", *FAST], {"network"}),
    "bimt_permutation_s4": (["experiment=bimt_permutation_s4", *FAST], {"network", "embedding"}),
    "gw_tms": (
        ["method=gw", "model=tms", "method.probe_size=32", *FAST],
        {"layer_matrices", "dendrogram"},
    ),
    "gw_seed_identification": (
        [
            "experiment=gw_seed_identification",
            "model.widths=[64,12,12,12,10]",
            "method.probe_size=40",
            "study.n_seeds=2",
            *FAST,
        ],
        {"layer_matrices", "dendrogram", "seed_matrices"},
    ),
    "gw_planted": (["experiment=gw_planted", *FAST], {"layer_matrices", "dendrogram"}),
    "gw_compression": (
        [
            "experiment=gw_compression",
            *tiny_transformer(n_layers=4, train_steps=20),
            "method.probe_size=40",
            "study.random_draws=2",
            "study.finetune_steps=4",
            *FAST,
        ],
        {"compression", "finetune"},
    ),
}


Recorded = list[tuple[Figure, bytes]]


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """Every figure the runs render, with its PNG bytes (``render_png`` still does the work)."""
    seen: Recorded = []
    render = figure_files.render_png

    def recording(figure: Figure) -> bytes:
        png = render(figure)
        seen.append((figure, png))
        return png

    monkeypatch.setattr(outputs, "render_png", recording)
    return seen


def saved_figures(run_dir: Path, seen: Recorded) -> dict[str, tuple[Figure, bytes]]:
    """``run_dir/figures/<name>.png`` by name, with the figure that was rendered into it."""
    by_bytes = {png: (figure, png) for figure, png in seen}
    return {p.stem: by_bytes[p.read_bytes()] for p in sorted((run_dir / "figures").glob("*.png"))}


def _texts(figure: Figure) -> list[Text]:
    return [
        t
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
    ]


def _is_colorbar(ax: Axes) -> bool:
    return getattr(ax, "_colorbar", None) is not None


def _has_label(ax: Axes, which: str, figure: Figure) -> bool:
    """``which`` ('x'/'y') axis label of ``ax`` or, for twin and shared axes, of a sibling."""
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    siblings = [a for a in figure.axes if a is ax or shared.joined(ax, a)]
    getter = "get_xlabel" if which == "x" else "get_ylabel"
    return any(getattr(a, getter)().strip() for a in siblings)


def _overlapping_ticks(figure: Figure) -> list[str]:
    renderer = figure_files.drawn_renderer(figure)
    problems = []
    for ax, axis in itertools.product(figure.axes, ("x", "y")):
        labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
        boxes = [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]
        for a, b in itertools.combinations(boxes, 2):
            if a.overlaps(b) and a.intersection(a, b).width * a.intersection(a, b).height > 4:
                problems.append(f"{axis} tick labels overlap in '{ax.get_title()}'")
                break
    return problems


def readability_problems(name: str, figure: Figure, png: bytes, run_folder: str) -> list[str]:
    """What makes a saved figure hard to read at its size (empty: nothing)."""
    problems = []
    width, height = Image.open(io.BytesIO(png)).size
    if max(width, height) > MAX_SIDE_PX or max(width / height, height / width) > MAX_ASPECT:
        problems.append(f"{name}: {width}×{height} pixels")
    footer = footer_text(figure)
    if footer is None or not footer.startswith(run_folder) or " · seed " not in footer:
        problems.append(f"{name}: footer {footer!r} does not give the run and its seed")
    for text in _texts(figure):
        if text.get_fontsize() < MIN_FONT_PT:
            problems.append(f"{name}: {text.get_text()!r} at {text.get_fontsize()} pt")
    for ax in figure.axes:
        if _is_colorbar(ax):
            if not (ax.get_ylabel().strip() or ax.get_xlabel().strip()):
                problems.append(f"{name}: a colorbar without a label")
            continue
        if not ax.axison:  # a drawing (network, receptive fields): its legend explains it
            continue
        for which in ("x", "y"):
            if not _has_label(ax, which, figure):
                problems.append(f"{name}: axes '{ax.get_title()}' without a {which} label")
    problems.extend(f"{name}: {p}" for p in _overlapping_ticks(figure))
    return problems


def _run(overrides: list[str], tmp_path: Path) -> Path:
    raw = compose_raw(overrides, tmp_path)
    run_dir = tmp_path / "runs" / "figures_run"
    result = run(raw, run_dir)
    assert result.status == "ok", result.error
    return run_dir


def _check(run_dir: Path, seen: Recorded, expected: set[str]) -> dict[str, Figure]:
    """Check the run's saved figures; returns them by name."""
    saved = saved_figures(run_dir, seen)
    assert expected <= set(saved), sorted(saved)
    problems = []
    for name, (figure, png) in saved.items():
        problems += readability_problems(name, figure, png, f"runs/{run_dir.name}")
    assert not problems, "\n".join(problems)
    return {name: figure for name, (figure, _) in saved.items()}


@pytest.mark.parametrize("name", list(RUNS))
def test_every_figure_of_a_run_is_readable_and_says_where_it_comes_from(
    name: str, tmp_path: Path, rendered: Recorded
) -> None:
    overrides, expected = RUNS[name]
    _check(_run(overrides, tmp_path), rendered, expected)


def _legend_texts(figure: Figure) -> set[str]:
    return {t.get_text() for ax in figure.axes if ax.get_legend() for t in ax.get_legend().texts}


def _drawing_texts(figure: Figure) -> set[str]:
    return {t.get_text() for ax in figure.axes for t in ax.texts}


def test_bimt_and_circuit_drawings_explain_edge_colours_and_number_inputs_from_one(
    tmp_path: Path, rendered: Recorded
) -> None:
    bimt_dir = _run(["experiment=bimt_independence", *FAST], tmp_path / "bimt")
    network = _check(bimt_dir, rendered, {"network"})["network"]
    assert {"positive weight", "negative weight"} <= _legend_texts(network)
    labels = _drawing_texts(network)
    assert {"x1", "x2", "x3", "x4", "y1", "y2"} <= labels and "x0" not in labels
    assert {"input", "hidden 1", "hidden 2", "output"} <= labels
    circuit_dir = _run(
        ["experiment=circuit_independence", f"target.ckpt={bimt_dir}", *FAST], tmp_path / "circuit"
    )
    circuit = _check(circuit_dir, rendered, {"circuit", "tau_sweep"})["circuit"]
    legend = _legend_texts(circuit)
    assert {"weight outside the circuit", "neuron in the circuit", "neuron left out"} <= legend
    assert {"x1", "x4"} <= _drawing_texts(circuit) and "x0" not in _drawing_texts(circuit)


def test_classifier_drawings_name_outputs_by_class(tmp_path: Path, rendered: Recorded) -> None:
    path = tmp_path / "target.pt"
    save_target(path, MLP([2, 6, 2]), MLPSchema(widths=[2, 6, 2]), {})
    overrides = [
        "method=circuit",
        "model=mlp",
        "model.widths=[2,6,2]",
        "dataset=two_moons",
        f"target.ckpt={path}",
        "method.algorithm=magnitude",
        "method.tau_sweep=[]",
        *FAST,
    ]
    circuit = _check(_run(overrides, tmp_path), rendered, {"circuit"})["circuit"]
    labels = _drawing_texts(circuit)
    assert {"0", "1"} <= labels and "y1" not in labels


def test_gw_colorbars_say_which_way_is_more_similar(tmp_path: Path, rendered: Recorded) -> None:
    figures = _check(_run(RUNS["gw_tms"][0], tmp_path), rendered, {"layer_matrices"})
    labels = {ax.get_ylabel() for ax in figures["layer_matrices"].axes if _is_colorbar(ax)}
    assert labels == {
        "GW distance (lower = more similar)",
        "GW loss of the identity coupling (lower = more similar)",
        "linear CKA similarity (higher = more similar)",
        "debiased CKA similarity (higher = more similar)",
        "Procrustes distance (lower = more similar)",
    }


def test_a_strip_of_tiny_panels_and_unlabelled_axes_are_caught() -> None:
    """The checker itself: the old five-panel GW strip fails it."""
    figure = Figure(figsize=(25, 4))
    axes = figure.subplots(1, 5)
    for ax in axes:
        image = ax.imshow([[0.0, 1.0], [1.0, 0.0]])
        figure.colorbar(image, ax=ax)
        ax.set_xticks([0, 1], ["layer.0", "layer.1"], fontsize=5)
    png = figure_files.render_png(figure)
    problems = readability_problems("strip", figure, png, "runs/x")
    assert any("pixels" in p for p in problems)
    assert any("footer None" in p for p in problems)
    assert any("at 5.0 pt" in p for p in problems)
    assert any("colorbar without a label" in p for p in problems)
    assert any("without a x label" in p for p in problems)
