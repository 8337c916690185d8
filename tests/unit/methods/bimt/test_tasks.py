import numpy as np
import pytest
import torch

from subnetlab.data.mnist_idx import write_idx
from subnetlab.methods.bimt.tasks import TASKS, build_task


@pytest.fixture
def mnist_dir(tmp_path):
    rng = np.random.default_rng(0)
    for images, labels, n in (
        ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 8),
        ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 4),
    ):
        write_idx(tmp_path / images, rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / labels, rng.integers(0, 10, n, dtype=np.uint8))
    return tmp_path


EXPECTED = {
    "independence": ([4, 20, 20, 2], 100, "mse"),
    "feature_sharing": ([3, 20, 20, 3], 100, "mse"),
    "compositionality": ([4, 20, 20, 20, 20, 1], 100, "mse"),
    "two_moons": ([2, 20, 20, 2], 200, "cross_entropy"),
    "modular_addition": ([64, 50, 50, 59], 2784, "cross_entropy"),
    "permutation_s4": ([64, 50, 50, 24], 460, "cross_entropy"),
    "mnist": ([784, 100, 100, 10], 8, "mse_onehot"),
}


@pytest.mark.parametrize("task", TASKS)
def test_recipes_build_consistent_models_data_and_settings(task, mnist_dir):
    model, data, settings = build_task(task, seed=1, train_type="l1_local", data_dir=mnist_dir)
    widths, n_train, loss = EXPECTED[task]
    assert model.widths == widths
    assert len(data.x_train) == n_train
    assert settings.loss == loss and settings.train_type == "l1_local"
    with torch.no_grad():
        out = model(data.x_test[:3])
    assert out.shape == (3, widths[-1])
    assert data.report_shared == (task in ("independence", "feature_sharing"))


def test_notebook_settings_of_the_symbolic_and_mnist_recipes(mnist_dir):
    _, _, symbolic = build_task("independence")
    assert symbolic.lambda_schedule.switch_steps(symbolic.steps) == [0, 5000, 15000]
    assert symbolic.bias_penalty_start == 0.75 and symbolic.swap_top_k == 5
    model, _, mnist = build_task("mnist", data_dir=mnist_dir)
    assert model.geometry == "grid" and mnist.cost.exempt_last_layer
    assert mnist.lambda_schedule.value(39_999, mnist.steps) == pytest.approx(1.0)


def test_unknown_task_raises():
    with pytest.raises(ValueError, match="modular_addition"):
        build_task("sorting")
