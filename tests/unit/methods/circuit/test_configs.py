"""The circuit configs compose and validate; each option reaches the schema."""

from __future__ import annotations

import pytest

from subnetlab.methods.circuit.module import CircuitModule
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.circuit import CircuitSchema
from subnetlab.schemas.run import validate_run_config
from tests.conftest import compose_raw


def test_method_circuit_defaults():
    raw = compose_raw(["method=circuit", "model=mlp", "dataset=symbolic_independence"])
    cfg = validate_run_config(raw)
    assert isinstance(cfg.method, CircuitSchema)
    assert raw["method"]["_target_"] == f"{CircuitModule.__module__}.CircuitModule"
    method = cfg.method
    assert (method.algorithm, method.tau, method.metric, method.ablation) == (
        "acdc",
        0.01,
        "auto",
        "corrupted",
    )
    assert method.eap_prefilter is None and method.tau_sweep == []


def test_the_independence_experiment():
    cfg = validate_run_config(compose_raw(["experiment=circuit_independence"]))
    assert cfg.model.widths == [4, 20, 20, 2] and cfg.dataset.name == "symbolic_independence"
    assert cfg.method.metric == "mse" and len(cfg.method.tau_sweep) == 9


@pytest.mark.parametrize(
    ("override", "field", "value"),
    [
        ("method.algorithm=eap", "algorithm", "eap"),
        ("method.algorithm=eap_ig", "algorithm", "eap_ig"),
        ("method.tau_scale=absolute", "tau_scale", "absolute"),
        ("method.metric=logit_diff", "metric", "logit_diff"),
        ("method.ablation=zero", "ablation", "zero"),
        ("method.ablation=mean", "ablation", "mean"),
        ("method.probe_size=32", "probe_size", 32),
        ("method.split=train", "split", "train"),
        ("method.eap_prefilter=0.25", "eap_prefilter", 0.25),
        ("method.ig_steps=1", "ig_steps", 1),
        ("method.abs_value=true", "abs_value", True),
        ("method.tau_sweep=[0.1,0.2]", "tau_sweep", [0.1, 0.2]),
    ],
)
def test_each_option_reaches_the_schema(override, field, value):
    cfg = validate_run_config(compose_raw(["experiment=circuit_independence", override]))
    assert getattr(cfg.method, field) == value


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("method.tau=-0.1", "method.tau"),
        ("method.algorithm=magnitude", None),  # tau 0.01 is a valid magnitude fraction
        ("method.algorithm=spd", "method.algorithm"),
        ("method.metric=accuracy", "method.metric"),
        ("method.ablation=resample", "method.ablation"),
        ("method.probe_size=1", "method.probe_size"),
        ("method.eap_prefilter=0", "method.eap_prefilter"),
        ("method.eap_prefilter=1.5", "method.eap_prefilter"),
        ("method.ig_steps=0", "method.ig_steps"),
        ("method.tau_scale=relative", "method.tau_scale"),
        ("method.candidates_per_pass=0", "method.candidates_per_pass"),
        ("method.tau_sweep=[0.1,-1]", "method.tau_sweep[1]"),
        ("method.split=validation", "method.split"),
    ],
)
def test_bad_values_name_the_key(override, key):
    raw = compose_raw(["experiment=circuit_independence", override])
    if key is None:
        validate_run_config(raw)
        return
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        validate_run_config(raw)


def test_magnitude_thresholds_are_fractions():
    with pytest.raises(ConfigError, match="tau"):
        CircuitSchema(algorithm="magnitude", tau=1.5)
    with pytest.raises(ConfigError, match=r"tau_sweep\[0\]"):
        CircuitSchema(algorithm="magnitude", tau_sweep=[2.0])


def test_the_eap_prefilter_belongs_to_acdc():
    with pytest.raises(ConfigError, match="eap_prefilter"):
        CircuitSchema(algorithm="eap", eap_prefilter=0.5)
    assert CircuitSchema(algorithm="acdc", eap_prefilter=0.5).eap_prefilter == 0.5
