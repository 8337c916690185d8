"""End to end through the runner API: a short BIMT target, then method=circuit on it; a user's
plain state dict with a tensor file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from subnetlab.data.image_classification import ImageClassificationDataModule
from subnetlab.lifecycle.runner import run
from subnetlab.lifecycle.targets import TargetError
from subnetlab.methods.circuit.analysis import find_circuit
from subnetlab.methods.circuit.edge_graph import EdgeGraph
from subnetlab.methods.circuit.module import MASK_FILE, MASK_FORMAT
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit import CircuitSchema
from subnetlab.schemas.datasets import DigitsSchema
from tests.conftest import compose_raw
from tests.unit.methods.circuit.test_analysis import planted_sequential, save_planted_files

QUICK = ["logger=none", "callbacks.checkpoint=false", "trainer.progress_bar=false"]
# 1500 BIMT steps already separate the two modules of the independence task
TARGET_STEPS = 1500


@pytest.fixture(scope="module")
def bimt_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bimt")
    raw = compose_raw(["experiment=bimt_independence", f"method.steps={TARGET_STEPS}", *QUICK], out)
    result = run(raw, out / "run")
    assert result.status == "ok", result.error
    return out / "run"


def _circuit(target: Path, out: Path, overrides: list[str]) -> dict:
    raw = compose_raw(
        ["experiment=circuit_independence", f"target.ckpt={target}", *QUICK, *overrides], out
    )
    return raw


def test_acdc_writes_the_contract_and_finds_the_two_modules(bimt_target, tmp_path):
    raw = _circuit(bimt_target, tmp_path, ["method.tau_sweep=[0.001,0.01,100.0]"])
    result = run(raw, tmp_path / "circuit")
    assert result.status == "ok", result.error
    folder = tmp_path / "circuit"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["status"] == "ok" and metrics["method"] == "circuit"
    # output 0 uses exactly x0, x2 and output 1 exactly x1, x3
    assert metrics["node_tpr"] == 1.0 and metrics["node_fpr"] == 0.0
    assert result.objective == metrics["faithfulness"] < 0.05
    assert 0 < metrics["edges_kept"] < 60
    assert metrics["edge_fraction"] == pytest.approx(metrics["edges_kept"] / 520)
    assert metrics["task_loss"] < 0.1 and metrics["full_task_loss"] < 0.05
    assert metrics["discovery_time_s"] > 0 and metrics["forward_passes"] >= 1
    # tau = 100 (far above the empty circuit's metric, ~2) removes every edge; the ROC is (0, 1)
    assert metrics["node_auc"] == 1.0
    saved = torch.load(folder / MASK_FILE, weights_only=True)
    assert saved["format"] == MASK_FORMAT and saved["widths"] == [4, 20, 20, 2]
    graph = EdgeGraph((4, 20, 20, 2))
    graph.check_mask(saved["mask"])
    assert graph.count_edges(saved["mask"]) == metrics["edges_kept"]
    sweep = json.loads((folder / "circuit_sweep.json").read_text())
    assert [row["tau"] for row in sweep] == [0.001, 0.01, 100.0]
    assert sweep[-1]["edges_kept"] == 0 and sweep[-1]["faithfulness_recovered"] == 0.0
    assert (folder / "figures" / "circuit.png").is_file()
    assert (folder / "figures" / "tau_sweep.png").is_file()


@pytest.mark.parametrize(
    ("overrides", "backward_passes"),
    [
        (["method.algorithm=eap_ig", "method.tau=0.01", "method.ig_steps=3"], 3),
        (["method.algorithm=magnitude", "method.tau=0.2"], 0),
        (["method.eap_prefilter=0.05", "method.ig_steps=2"], 2),
    ],
)
def test_other_algorithms_run_through_the_runner(bimt_target, tmp_path, overrides, backward_passes):
    raw = _circuit(bimt_target, tmp_path, [*overrides, "method.tau_sweep=[]"])
    result = run(raw, tmp_path / "circuit")
    assert result.status == "ok", result.error
    metrics = result.metrics
    assert metrics["backward_passes"] == backward_passes
    assert "node_auc" not in metrics and 0 <= metrics["node_fpr"] <= 1
    saved = torch.load(tmp_path / "circuit" / MASK_FILE, weights_only=True)
    assert EdgeGraph((4, 20, 20, 2)).count_edges(saved["mask"]) == metrics["edges_kept"]
    if "method.algorithm=magnitude" in overrides:
        assert metrics["forward_passes"] == 0
        # the magnitude circuit is exactly the weights of at least 20 % of the largest
        largest = max(float(s.max()) for s in saved["scores"])
        assert largest == 1.0
        assert metrics["edges_kept"] == sum(int((s >= 0.2).sum()) for s in saved["scores"])
    if "method.eap_prefilter=0.05" in overrides:
        assert metrics["edges_kept"] <= math.ceil(0.05 * 520)


def test_a_missing_target_is_refused_before_any_work(tmp_path):
    raw = compose_raw(["experiment=circuit_independence", *QUICK], tmp_path)
    with pytest.raises(TargetError, match="target.ckpt"):
        run(raw, tmp_path / "circuit")


def test_plain_eap_with_a_flat_metric_is_a_config_error(bimt_target, tmp_path):
    raw = _circuit(bimt_target, tmp_path, ["method.algorithm=eap"])
    with pytest.raises(ConfigError, match="method.algorithm='eap': allowed eap_ig"):
        run(raw, tmp_path / "circuit")


def test_a_training_block_is_refused_without_the_study_module(bimt_target, tmp_path):
    raw = _circuit(bimt_target, tmp_path, ["+method.train={name:bimt,steps:10}"])
    with pytest.raises(ConfigError, match="method.train"):
        run(raw, tmp_path / "circuit")


def _plain(files: dict[str, Path], out: Path, overrides: list[str]) -> dict:
    return compose_raw(
        [
            "method=circuit",
            "model=mlp",
            "model.widths=[6,8,8,2]",
            "model.activation=relu",
            "dataset=tensors",
            f"dataset.path={files['inputs']}",
            f"target.ckpt={files['weights']}",
            *QUICK,
            *overrides,
        ],
        out,
    )


@pytest.mark.parametrize(
    ("algorithm", "tau"), [("acdc", 0.01), ("eap_ig", 0.01), ("magnitude", 0.2)]
)
def test_a_plain_state_dict_and_a_tensor_file_run_every_algorithm(tmp_path, algorithm, tau):
    files = save_planted_files(tmp_path)
    overrides = [f"method.algorithm={algorithm}", f"method.tau={tau}"]
    raw = _plain(files, tmp_path, [*overrides, f"method.truth_file={files['truth']}"])
    result = run(raw, tmp_path / "circuit")
    assert result.status == "ok", result.error
    model, inputs, truth = planted_sequential()
    cfg = CircuitSchema(algorithm=algorithm, tau=tau)
    expected = find_circuit(model, inputs[:100], cfg, truth_edges=truth).metrics  # probe_size
    for name in ("edges_kept", "edge_tpr", "edge_fpr", "node_tpr", "node_fpr", "faithfulness"):
        assert result.metrics[name] == pytest.approx(expected[name], abs=1e-6), name
    assert (tmp_path / "circuit" / "figures" / "circuit.png").is_file()


def test_a_plain_target_without_a_truth_reports_its_circuit_only(tmp_path):
    files = save_planted_files(tmp_path)
    result = run(_plain(files, tmp_path, []), tmp_path / "circuit")
    assert result.status == "ok", result.error
    assert result.metrics["edges_kept"] > 0 and "edge_tpr" not in result.metrics
    assert "task_loss" not in result.metrics  # the file has no targets


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        (["method.split=train"], "method.split", "serves held-out inputs only"),
        (["model.widths=[5,8,8,2]"], "target.ckpt", r"0.weight \(linears.0.weight\) \(8, 6\)"),
        (["method.truth_file=/nonexistent.pt"], "method.truth_file", "no such file"),
    ],
)
def test_plain_target_mistakes_are_one_line_errors_before_work(tmp_path, overrides, key, message):
    files = save_planted_files(tmp_path)
    with pytest.raises((ConfigError, TargetError), match=key) as caught:
        run(_plain(files, tmp_path, overrides), tmp_path / "circuit")
    assert caught.match(message) and "\n" not in str(caught.value)
    assert not (tmp_path / "circuit" / MASK_FILE).exists()


def test_inputs_of_the_wrong_width_are_refused_before_work(tmp_path):
    files = save_planted_files(tmp_path)
    torch.save(torch.zeros(200, 5), files["inputs"])
    with pytest.raises(ConfigError, match=r"dataset='tensors'.*reads \(B, 6\)"):
        run(_plain(files, tmp_path, []), tmp_path / "circuit")


def test_more_examples_than_the_tensor_file_holds_stop_before_work(tmp_path):
    files = save_planted_files(tmp_path)  # 200 input rows
    with pytest.raises(ConfigError) as caught:
        run(_plain(files, tmp_path, ["method.probe_size=201"]), tmp_path / "circuit")
    assert str(caught.value) == (
        "invalid config value method.probe_size=201: allowed at most 200 "
        "(dataset=tensors holds 200 probe inputs)"
    )
    assert not (tmp_path / "circuit" / MASK_FILE).exists()


def test_probe_size_null_takes_every_row_of_the_tensor_file(tmp_path):
    files = save_planted_files(tmp_path)
    magnitude = ["method.algorithm=magnitude", "method.tau=0.2", "method.tau_sweep=[]"]
    every = run(_plain(files, tmp_path, [*magnitude, "method.probe_size=null"]), tmp_path / "a")
    counted = run(_plain(files, tmp_path, [*magnitude, "method.probe_size=200"]), tmp_path / "b")
    assert every.status == counted.status == "ok", (every.error, counted.error)
    timed = {k for k in every.metrics if k.endswith("_s")}
    assert {k: v for k, v in every.metrics.items() if k not in timed} == {
        k: v for k, v in counted.metrics.items() if k not in timed
    }


def test_the_default_probe_size_takes_every_row_of_a_smaller_file(tmp_path):
    files = save_planted_files(tmp_path)
    inputs = torch.load(files["inputs"])
    torch.save(inputs[:60], files["inputs"])  # fewer rows than the default's 100
    magnitude = ["method.algorithm=magnitude", "method.tau=0.2", "method.tau_sweep=[]"]
    default = run(_plain(files, tmp_path, magnitude), tmp_path / "a")
    every = run(_plain(files, tmp_path, [*magnitude, "method.probe_size=60"]), tmp_path / "b")
    assert default.status == every.status == "ok", (default.error, every.error)
    timed = {k for k in every.metrics if k.endswith("_s")}
    assert {k: v for k, v in default.metrics.items() if k not in timed} == {
        k: v for k, v in every.metrics.items() if k not in timed
    }


def test_more_examples_than_a_task_split_holds_name_the_split(bimt_target, tmp_path):
    with pytest.raises(ConfigError) as caught:
        run(_circuit(bimt_target, tmp_path, ["method.probe_size=100000"]), tmp_path / "circuit")
    assert str(caught.value).startswith("invalid config value method.probe_size=100000: allowed ")
    assert "(the test split of dataset=symbolic_independence holds " in str(caught.value)


def test_more_examples_than_uniform_inputs_draws_stop_before_work(tmp_path):
    raw = compose_raw(
        ["experiment=circuit_planted", "dataset.size=50", "method.probe_size=60", *QUICK],
        tmp_path,
    )
    with pytest.raises(ConfigError, match=r"probe_size=60: allowed at most 50 \(dataset=unif"):
        run(raw, tmp_path / "circuit")


def test_an_image_dataset_gives_probe_images_with_their_labels(tmp_path):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 12), torch.nn.Tanh(), torch.nn.Linear(12, 10))
    torch.save(net.state_dict(), tmp_path / "weights.pt")
    raw = compose_raw(
        [
            "method=circuit",
            "model=mlp",
            "model.widths=[64,12,10]",
            "model.activation=tanh",
            "dataset=digits",
            f"target.ckpt={tmp_path / 'weights.pt'}",
            "method.probe_size=40",
            "method.tau=0.001",
            *QUICK,
        ],
        tmp_path,
    )
    result = run(raw, tmp_path / "circuit")
    assert result.status == "ok", result.error
    saved = torch.load(tmp_path / "circuit" / MASK_FILE, weights_only=True)
    assert saved["metric"] == "kl"  # class labels: auto picks KL
    probe = ImageClassificationDataModule(DigitsSchema(), 0, None)
    labels = probe.eval_targets(40)
    full = (net(probe.eval_batch(40)).argmax(dim=-1) == labels).float().mean()
    assert result.metrics["full_task_accuracy"] == pytest.approx(float(full))
    assert 0 <= result.metrics["task_accuracy"] <= 1
