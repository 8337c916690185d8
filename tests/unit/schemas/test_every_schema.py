"""Properties every schema has: one-line help on each field, finite floats, seeds in range, and
defaults that validate."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any, get_args, get_origin

import pytest

from subnetlab.schemas.base import MAX_SEED, ConfigError, defaults_of, from_dict
from subnetlab.schemas.describe import is_schema, optional_member, schema_fields, unannotate
from subnetlab.schemas.registry import schemas
from subnetlab.schemas.run import FIXED_GROUPS, GROUPS, OPTIONAL_GROUPS, RunConfig


def _top_level() -> dict[str, type]:
    groups = (*GROUPS, *OPTIONAL_GROUPS)
    out = {f"{g}={name}": cls for g in groups for name, cls in schemas(g).items()}
    out.update({g: cls for g, cls in FIXED_GROUPS.items()})
    out["run"] = RunConfig
    return out


TOP = _top_level()


def _core(annotation: Any) -> Any:
    """``Annotated[float, Strict()] | None`` → ``float``."""
    return unannotate(optional_member(unannotate(annotation)[0]))[0]


def _nested(annotation: Any) -> tuple[type | None, bool]:
    """The schema class inside a field's annotation (also as list items) and whether it is a
    list."""
    base = _core(annotation)
    if is_schema(base):
        return base, False
    if get_origin(base) is list:
        item = _core(get_args(base)[0])
        if is_schema(item):
            return item, True
    return None, False


def _all_schema_classes() -> set[type]:
    seen: set[type] = set()
    todo = list(TOP.values())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo += [c for info in schema_fields(cls).values() if (c := _nested(info.annotation)[0])]
    return seen


ALL = sorted(_all_schema_classes(), key=lambda c: c.__name__)


def _leaves(cls: type, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, item annotation) of every scalar field, into nested schemas and first list items."""
    for name, info in schema_fields(cls).items():
        nested, is_list = _nested(info.annotation)
        here = (*path, name)
        if nested is not None:
            yield from _leaves(nested, (*here, 0) if is_list else here)
            continue
        base = _core(info.annotation)
        if get_origin(base) is list:
            yield (*here, 0), _core(get_args(base)[0])
        else:
            yield here, base


def _with(cls: type, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The defaults of ``cls`` with ``value`` at ``path`` (absent nested schemas and lists filled
    with their defaults on the way)."""
    data = copy.deepcopy(defaults_of(cls))
    node: Any = data
    schema = cls
    for step, nxt in zip(path, path[1:], strict=False):
        if isinstance(step, str):
            nested, is_list = _nested(schema_fields(schema)[step].annotation)
            if nested is not None:
                if is_list and not node[step]:
                    node[step] = [defaults_of(nested)]
                elif not is_list and not isinstance(node[step], dict):
                    node[step] = defaults_of(nested)
                schema = nested
            elif isinstance(nxt, int) and not node[step]:
                node[step] = [None]
        node = node[step]
    node[path[-1]] = value
    return data


def _key(path: tuple[Any, ...]) -> str:
    key = ""
    for step in path:
        key += f"[{step}]" if isinstance(step, int) else (f".{step}" if key else step)
    return key


FLOAT_FIELDS = [
    pytest.param(cls, path, id=f"{name}:{_key(path)}")
    for name, cls in TOP.items()
    for path, tp in _leaves(cls)
    if tp is float
]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_field_has_one_line_help(cls: type) -> None:
    for name, info in schema_fields(cls).items():
        text = info.description or ""
        assert text and "\n" not in text and len(text) <= 110, f"{cls.__name__}.{name}: {text!r}"


@pytest.mark.parametrize("cls", list(TOP.values()), ids=list(TOP))
def test_defaults_validate_to_themselves(cls: type) -> None:
    defaults = defaults_of(cls)
    assert defaults_of(type(from_dict(cls, defaults))) == defaults
    assert from_dict(cls, {}) == from_dict(cls, defaults)


@pytest.mark.parametrize(("cls", "path"), FLOAT_FIELDS)
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_every_float_field_rejects_non_finite_values(cls: type, path: tuple, bad: float) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(cls, _with(cls, path, bad), "node")
    assert info.value.key == f"node.{_key(path)}"
    assert "finite" in info.value.allowed


def test_float_fields_are_found_everywhere() -> None:
    ids = {p.id for p in FLOAT_FIELDS}
    assert {
        "method=spd:lr",
        "method=spd:coeffs.faithfulness",
        "method=bimt:lambda_phases[0].start",
        "method=circuit:tau_sweep[0]",
        "study=circuit:train.cost.layer_gap",
        "model=mlp:recipe.lr",
        "method=train:lr",
    } <= ids


SEED_FIELDS = [
    pytest.param(cls, path, id=f"{name}:{_key(path)}")
    for name, cls in TOP.items()
    for path, tp in _leaves(cls)
    if tp is int and "seed" in str(path[-1]) and not str(path[-1]).startswith("n_")
]


@pytest.mark.parametrize(("cls", "path"), SEED_FIELDS)
def test_every_seed_is_one_the_seeding_libraries_accept(cls: type, path: tuple) -> None:
    from_dict(cls, _with(cls, path, MAX_SEED - 10))
    for bad in (MAX_SEED + 1, -1):
        with pytest.raises(ConfigError) as info:
            from_dict(cls, _with(cls, path, bad))
        assert info.value.key == _key(path)
    assert len(SEED_FIELDS) >= 5  # run, target, two dataset splits, GW's first seed
