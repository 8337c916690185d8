import math

import pytest
import torch

from subnetlab.methods.circuit.metrics import (
    gap_scaled,
    make_metric,
    recovered_fraction,
    task_performance,
)


def test_kl_matches_hand_value_and_is_zero_at_the_full_model():
    full = torch.tensor([[math.log(3.0), 0.0]])
    metric = make_metric("kl", full)
    expected = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert float(metric(torch.zeros(1, 2))) == pytest.approx(expected)
    assert float(metric(full)) == pytest.approx(0.0, abs=1e-7)


def test_logit_diff_drop_matches_hand_value():
    full = torch.tensor([[2.0, 0.0, 1.0]])
    metric = make_metric("logit_diff", full)  # label = argmax = 0, ld = 2 - 0.5
    assert float(metric(torch.tensor([[1.0, 1.0, 1.0]]))) == pytest.approx(1.5)
    with_labels = make_metric("logit_diff", full, labels=torch.tensor([2]))  # ld = 1 - 1 = 0
    assert float(with_labels(torch.tensor([[0.0, 0.0, 3.0]]))) == pytest.approx(-3.0)


def test_mse_is_divided_by_the_full_outputs_variance():
    full = torch.tensor([[0.0], [2.0]])  # variance 1
    metric = make_metric("mse", full)
    assert float(metric(torch.tensor([[1.0], [1.0]]))) == pytest.approx(1.0)
    scaled = make_metric("mse", 10 * full)
    assert float(scaled(torch.tensor([[10.0], [10.0]]))) == pytest.approx(1.0)


def test_metrics_take_a_candidate_dimension():
    full = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    metric = make_metric("kl", full)
    candidates = torch.stack([full, torch.zeros(2, 2), full.flip(-1)])
    values = metric(candidates)
    assert values.shape == (3,)
    assert float(values[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(values[2]) > float(values[1]) > 0


def test_make_metric_rejects_what_cannot_work():
    with pytest.raises(ValueError, match="metric='l2' is not supported"):
        make_metric("l2", torch.zeros(2, 2))
    with pytest.raises(ValueError, match="at least 2 output classes"):
        make_metric("kl", torch.zeros(2, 1))
    with pytest.raises(ValueError, match="outputs that vary"):
        make_metric("mse", torch.ones(3, 2))
    with pytest.raises(ValueError, match="outputs end in"):
        make_metric("kl", torch.zeros(2, 2))(torch.zeros(3, 2))


def test_task_performance_and_recovered_fraction():
    outputs = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    assert task_performance(outputs, torch.tensor([0, 1, 1]), "classification") == {
        "accuracy": pytest.approx(2 / 3)
    }
    assert task_performance(outputs, outputs + 1, "regression") == {"loss": pytest.approx(1.0)}
    assert recovered_fraction(0.25, 1.0) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="task='ranking'"):
        task_performance(outputs, outputs, "ranking")  # type: ignore[arg-type]


def test_non_finite_outputs_and_bad_labels_are_refused():
    full = torch.tensor([[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]])
    with pytest.raises(ValueError, match="the full model's outputs contain NaN"):
        make_metric("kl", full.where(full != 0.5, torch.tensor(float("nan"))))
    with pytest.raises(ValueError, match=r"labels must be integer classes in 0..2"):
        make_metric("logit_diff", full, torch.tensor([0, 3]))
    metric = make_metric("kl", full)
    patched = full.clone()
    patched[1, 2] = float("nan")  # a patched network that produced a NaN
    with pytest.raises(ValueError, match="metric='kl' is NaN/inf"):
        metric(torch.stack([full, patched]))
    with pytest.raises(ValueError, match="outputs contain NaN"):
        task_performance(patched, torch.tensor([0, 1]), "classification")
    with pytest.raises(ValueError, match="one per output row"):
        task_performance(full, torch.tensor([0, 1, 1]), "classification")
    with pytest.raises(ValueError, match="finite metrics"):
        recovered_fraction(math.nan, 1.0)


def test_gap_scaled_mse_weighs_outputs_of_any_spread_alike():
    full = torch.tensor([[1.0, 10.0], [-1.0, -10.0]])
    empty = torch.zeros(2, 2)  # per-output empty-circuit squared errors: 1 and 100
    halves_small = torch.tensor([[0.5, 10.0], [-1.0, -10.0]])  # output 0 loses half on one row
    halves_large = torch.tensor([[1.0, 5.0], [-1.0, -10.0]])  # output 1 loses half on one row
    gap = gap_scaled(make_metric("mse", full), empty)
    assert gap.gap is not None and gap.gap.tolist() == [1.0, 100.0]
    # (0.25 / 2) / 1 / 2 outputs and (25 / 2) / 100 / 2 outputs
    assert float(gap(halves_small)) == pytest.approx(0.0625)
    assert float(gap(halves_large)) == pytest.approx(0.0625)
    assert float(gap(empty)) == pytest.approx(1.0) and float(gap(full)) == 0.0
    # in absolute units (pooled 1 - R², variance 50.5) the large output weighs 100 times more
    absolute = make_metric("mse", full)
    assert float(absolute(halves_small)) == pytest.approx(0.0625 / 50.5)
    assert float(absolute(halves_large)) == pytest.approx(6.25 / 50.5)


def test_gap_scaled_kl_is_the_fraction_of_the_empty_circuits_kl():
    full = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    empty = torch.zeros(2, 2)
    absolute = make_metric("kl", full)
    gap = gap_scaled(make_metric("kl", full), empty)
    circuit = torch.tensor([[1.0, 0.0], [0.0, 0.5]])
    assert float(gap(circuit)) == pytest.approx(float(absolute(circuit) / absolute(empty)))
    assert float(gap(empty)) == pytest.approx(1.0)


def test_no_gap_to_scale_by_is_an_error():
    full = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="no full-versus-empty gap"):
        gap_scaled(make_metric("mse", full), full.clone())
    with pytest.raises(ValueError, match="not worse than the full model's 0"):
        gap_scaled(make_metric("kl", full), full.clone())
