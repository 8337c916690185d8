import json
from pathlib import Path

import numpy as np

from subnetlab.cli.runner import run
from tests.conftest import tiny_transformer

TINY = [
    "experiment=gw_seed_identification",
    *tiny_transformer(n_layers=3, train_steps=20),
    "method.probe_size=30",
    "method.seeds.n_seeds=2",
    "trainer.progress_bar=false",
    "logger=none",
]


def test_seed_identification_run_scores_every_measure(composed, tmp_path: Path) -> None:
    result = run(composed(TINY), tmp_path / "run")
    assert result.status == "ok", result.error
    for measure in ("gw", "identity_loss", "linear_cka", "debiased_cka", "procrustes"):
        value = result.metrics[f"layer_id_accuracy/{measure}"]
        assert 0.0 <= value <= 1.0 and value * 6 == round(value * 6)  # 2 × 3 layer queries
    assert result.metrics["n_seeds"] == 2.0 and result.metrics["solver_time_s"] >= 0.0
    gw = np.load(tmp_path / "run" / "seeds_gw.npy")
    assert gw.shape == (6, 6) and np.allclose(gw, gw.T) and np.allclose(np.diag(gw), 0.0)
    record = json.loads((tmp_path / "run" / "seed_identification.json").read_text())
    assert record["seeds"] == [0, 1] and len(record["training_reports"]) == 2
    assert (tmp_path / "run" / "target.pt").is_file()  # the first seed's model
