import json
import math
from pathlib import Path

import pytest

from subnetlab.lifecycle.runner import run
from subnetlab.schemas.base import ConfigError
from tests.conftest import QUICK_TMS

QUICK_APD = [
    "method=apd",
    *QUICK_TMS,
    "method.C=6",
    "method.topk=0.5",
    "method.eval_every=10",
    "logger=csv",
]


def test_apd_run_through_the_runner_writes_spd_comparable_metrics(composed, tmp_path: Path) -> None:
    result = run(composed(QUICK_APD), tmp_path / "run")
    assert result.status == "ok", result.error
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["method"] == "apd" and metrics["status"] == "ok"
    assert 0.0 < metrics["mmcs"] <= 1.0 + 1e-6 and metrics["ml2r"] > 0.0
    assert metrics["target_solution_error"] == float(int(metrics["target_solution_error"]))
    # APD scores one identity pattern over its whole components (5 features × 6 components)
    assert metrics["target_solution_error"] == metrics["target_solution_error/components"]
    assert metrics["target_solution_error"] <= 5 * 6
    # batch top-k keeps ⌊0.5·512⌋ = 256 of the eval batch's (datapoint, component) pairs
    assert metrics["l0"] == pytest.approx(0.5)
    for name in ("linear1", "linear2"):
        assert 0.0 <= metrics[f"l0/{name}"] <= 0.5
        assert 0.0 <= metrics[f"ci_l0/{name}"] <= 6.0
        assert 0.0 <= metrics[f"alive/{name}"] <= 6.0
    for term in ("faithfulness", "minimality", "simplicity"):
        assert 0.0 < metrics[f"loss/{term}"] < math.inf  # 30 steps decompose nothing exactly
    assert result.objective == metrics["target_solution_error"]
    figures = tmp_path / "run" / "figures"
    assert (figures / "attribution_shares_one_hot.png").is_file()
    assert (figures / "component_norms.png").is_file()
    logged = (tmp_path / "run" / "csv" / "metrics.csv").read_text()
    assert "train/loss/minimality" in logged and "eval/mmcs" in logged


def test_bad_apd_options_name_the_key(composed, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run(composed([*QUICK_APD, "method.topk=0"]), tmp_path / "run")
    assert info.value.key == "method.topk"
    with pytest.raises(ConfigError) as info:
        run(composed([*QUICK_APD, "method.schatten_form=svd"]), tmp_path / "run2")
    assert info.value.key == "method.schatten_form"
    result_dir = tmp_path / "run3"
    with pytest.raises(ConfigError) as info:
        run(composed([*QUICK_APD, "method.rank=3"]), result_dir)
    assert info.value.key == "method.rank"
