"""Defaults live in the schemas only: an option file of a schema group holds ``_target_``, ``name``
and what differs from what it extends (its schema's defaults or a sibling option), and every
schema field still reaches the composed config."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from subnetlab.schemas.base import defaults_of
from subnetlab.schemas.describe import is_schema, optional_member, schema_fields, unannotate
from subnetlab.schemas.registry import schemas
from subnetlab.schemas.run import FIXED_GROUPS, GROUPS, validate_run_config
from tests.conftest import CONF, compose_raw

SCHEMA_GROUPS = (*GROUPS, *FIXED_GROUPS)
#: keys an option file always names: its composition, what it instantiates, which option it is
KEPT = ("defaults", "_target_", "name")


def _option_files(conf: Path = CONF) -> list[tuple[str, str]]:
    return [(g, p.stem) for g in SCHEMA_GROUPS for p in sorted((conf / g).glob("*.yaml"))]


def _read(conf: Path, group: str, option: str) -> dict[str, Any]:
    return yaml.safe_load((conf / group / f"{option}.yaml").read_text()) or {}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both_maps = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both_maps else value
    return out


def _own_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "defaults"}


def _baseline(conf: Path, group: str, option: str) -> tuple[dict[str, Any], bool, bool]:
    """What ``option`` starts from before its own values; whether that is its schema's node
    directly (a canonical option: the one the schema's defaults describe); whether it extends
    anything at all."""
    base: dict[str, Any] = {}
    canonical = extends = False
    for entry in _read(conf, group, option).get("defaults", []):
        if not isinstance(entry, str) or entry == "_self_":
            continue  # ``override /dataset@...: x`` picks another group's option
        if entry.startswith("/schema/"):
            path, _, package = entry[1:].partition("@")
            node = OmegaConf.to_container(ConfigStore.instance().load(f"{path}.yaml").node)
            assert isinstance(node, dict)
            if package == "_here_":
                base, canonical, extends = _merge(base, node), True, True
            else:
                base = _merge(base, {package: node})
        else:  # a sibling option of the same group
            parent, _, _ = _baseline(conf, group, entry)
            base = _merge(base, _merge(parent, _own_values(_read(conf, group, entry))))
            extends = True
    return base, canonical, extends


def _schema_of(group: str, name: str | None) -> type:
    return FIXED_GROUPS[group] if group in FIXED_GROUPS else schemas(group)[str(name)]


def _walk(values: dict[str, Any], base: dict[str, Any], cls: type | None, prefix: str = ""):
    """(key, value, baseline value or KeyError marker, is a schema field) for every leaf."""
    fields = schema_fields(cls) if cls is not None else {}
    for key, value in values.items():
        full = f"{prefix}{key}"
        known = cls is None or key in fields or key in KEPT
        nested = None
        if key in fields:
            candidate = optional_member(unannotate(fields[key].annotation)[0])
            nested = candidate if is_schema(candidate) else None
        if isinstance(value, dict) and nested is not None:
            yield from _walk(value, base.get(key) or {}, nested, f"{full}.")
        else:
            yield full, value, base.get(key, KeyError), known


def option_file_problems(conf: Path, group: str, option: str) -> list[str]:
    """Why ``conf/<group>/<option>.yaml`` breaks the one-source-of-truth rule (empty: none)."""
    data = _read(conf, group, option)
    base, canonical, extends = _baseline(conf, group, option)
    effective = _merge(base, _own_values(data))
    cls = _schema_of(group, effective.get("name"))
    problems = []
    if not extends:  # then it is measured against its schema's defaults
        problems.append("extends neither /schema/... @_here_ nor another option of its group")
        base, canonical = defaults_of(cls), True
    for key, value, before, known in _walk(_own_values(data), base, cls):
        if not known:
            problems.append(f"{key} is not a field of {cls.__name__}")
        elif key in KEPT or (isinstance(value, str) and "${" in value):
            continue  # identity, or a value computed from another knob (no schema default can be)
        elif value == before and type(value) is type(before):
            problems.append(f"{key}={value!r} restates what it extends")
        elif canonical:
            problems.append(
                f"{key}={value!r} contradicts the schema default {before!r}: this option is the "
                f"schema's own, so the value belongs in {cls.__name__}"
            )
    return problems


@pytest.mark.parametrize(("group", "option"), _option_files())
def test_option_file_holds_only_what_differs(group: str, option: str) -> None:
    assert option_file_problems(CONF, group, option) == []


@pytest.mark.parametrize(("group", "option"), _option_files())
def test_every_schema_field_reaches_the_composed_config(group: str, option: str) -> None:
    overrides = [f"{group}={option}"]
    if group == "model" and option == "mlp":  # a model without a natural dataset
        overrides.append("dataset=symbolic_independence")
    raw = compose_raw(overrides)
    node = raw[group]
    cls = _schema_of(group, node.get("name"))

    def missing(values: dict[str, Any], schema: type, prefix: str) -> list[str]:
        out = []
        for name, info in schema_fields(schema).items():
            if name not in values:
                out.append(f"{prefix}{name}")
                continue
            nested = unannotate(info.annotation)[0]
            if is_schema(nested) and isinstance(values[name], dict):
                out += missing(values[name], nested, f"{prefix}{name}.")
        return out

    assert missing(node, cls, f"{group}.") == []  # so `key=value` works without `+`
    validated = getattr(validate_run_config(raw), group)
    assert validated.__class__ is cls


def test_the_check_flags_a_file_that_restates_its_schema(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf)
    (conf / "method" / "train.yaml").write_text("name: train\nsteps: null\nlr: 0.1\n")
    assert option_file_problems(conf, "method", "train") == [
        "extends neither /schema/... @_here_ nor another option of its group",
        "steps=None restates what it extends",
        "lr=0.1 contradicts the schema default None: this option is the schema's own, so the "
        "value belongs in TrainSchema",
    ]


def test_the_check_catches_restated_contradicting_and_unknown_keys(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf)
    with (conf / "method" / "spd.yaml").open("a") as f:
        f.write("lr: 0.001\nsteps: 40000\nlrr: 1\ncoeffs:\n  faithfulness: 1.0\n")
    with (conf / "model" / "tms_40_10_id.yaml").open("a") as f:
        f.write("n_hidden: 10\nn_features: 20\n")
    assert option_file_problems(conf, "method", "spd") == [
        "lr=0.001 restates what it extends",
        "steps=40000 contradicts the schema default 11000: this option is the schema's own, so "
        "the value belongs in SPDSchema",
        "lrr is not a field of SPDSchema",
        "coeffs.faithfulness=1.0 restates what it extends",
    ]
    # a variant may differ from what it extends (n_features), never restate it (n_hidden)
    assert option_file_problems(conf, "model", "tms_40_10_id") == [
        "n_hidden=10 restates what it extends"
    ]
