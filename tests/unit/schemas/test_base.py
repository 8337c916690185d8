"""The schema decorator and from_dict: strict, closed, finite, and errors that name the full key,
the value and what is allowed."""

import dataclasses
import math
from typing import Literal

import pytest
from pydantic import Field, StrictBool, StrictFloat, StrictInt, model_validator

from subnetlab.schemas.base import ConfigError, defaults_of, from_dict, require, schema


@schema
class Inner:
    p: StrictFloat = Field(0.5, ge=0, le=1, description="a probability")
    q: StrictFloat = Field(0.25, description="any finite number")

    @model_validator(mode="after")
    def _q_below_p(self) -> "Inner":
        require(self.q <= self.p, "q", self.q, f"a number ≤ p={self.p}")
        return self


@schema
class Outer:
    n: StrictInt = Field(1, ge=1, description="a count")
    flag: StrictBool = Field(False, description="a switch")
    kind: Literal["a", "b"] = Field("a", description="a choice")
    maybe: StrictInt | None = Field(None, ge=1, description="an optional count")
    inner: Inner = Field(default_factory=Inner, description="a nested schema")
    items: list[Inner] = Field(default_factory=list, description="a list of nested schemas")


def test_valid_values_convert_and_ints_become_floats() -> None:
    data = {"n": 3, "kind": "b", "maybe": None, "inner": {"p": 1}, "items": [{}], "_target_": "x"}
    out = from_dict(Outer, data)
    assert out == Outer(3, False, "b", None, Inner(1.0), [Inner()])
    assert isinstance(out.inner.p, float) and out.inner.p == 1.0
    assert dataclasses.asdict(out)["items"] == [{"p": 0.5, "q": 0.25}]


@pytest.mark.parametrize(
    ("data", "key", "value", "allowed"),
    [
        ({"m": 1}, "cfg.m", 1, "only the keys ['flag', 'inner', 'items', 'kind', 'maybe', 'n']"),
        ({"inner": {"z": 2}}, "cfg.inner.z", 2, "only the keys ['p', 'q']"),
        ({"n": "3"}, "cfg.n", "3", "an integer ≥ 1"),
        ({"n": 1.0}, "cfg.n", 1.0, "an integer ≥ 1"),
        ({"n": True}, "cfg.n", True, "an integer ≥ 1"),
        ({"n": 0}, "cfg.n", 0, "an integer ≥ 1"),
        ({"flag": 1}, "cfg.flag", 1, "true or false"),
        ({"flag": "yes"}, "cfg.flag", "yes", "true or false"),
        ({"kind": "c"}, "cfg.kind", "c", "one of 'a', 'b'"),
        ({"maybe": 0}, "cfg.maybe", 0, "null or an integer ≥ 1"),
        ({"inner": {"p": "0.5"}}, "cfg.inner.p", "0.5", "a number in [0, 1]"),
        ({"inner": {"p": 1.5}}, "cfg.inner.p", 1.5, "a number in [0, 1]"),
        ({"inner": {"p": math.inf}}, "cfg.inner.p", math.inf, "a finite number in [0, 1]"),
        ({"inner": {"q": math.nan}}, "cfg.inner.q", math.nan, "a finite number"),
        ({"inner": {"q": -math.inf}}, "cfg.inner.q", -math.inf, "a finite number"),
        ({"inner": {"q": 0.9}}, "cfg.inner.q", 0.9, "a number ≤ p=0.5"),
        ({"items": [{}, {"p": -1}]}, "cfg.items[1].p", -1, "a number in [0, 1]"),
        ({"items": [{"q": 0.75}]}, "cfg.items[0].q", 0.75, "a number ≤ p=0.5"),
        ({"inner": 3}, "cfg.inner", 3, "a mapping with keys ['p', 'q']"),
        ({"items": {"p": 1}}, "cfg.items", {"p": 1}, "a list of mappings with keys ['p', 'q']"),
    ],
)
def test_errors_name_key_value_and_what_is_allowed(
    data: dict, key: str, value: object, allowed: str
) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(Outer, data, "cfg")
    assert info.value.key == key
    assert info.value.allowed == allowed
    assert repr(value) in str(info.value)  # nan != nan: compare the message, not the value


def test_a_node_that_is_not_a_mapping_is_named() -> None:
    with pytest.raises(ConfigError, match=r"invalid config value cfg=\[1\]: allowed a mapping"):
        from_dict(Outer, [1], "cfg")


def test_construction_and_replace_raise_config_errors_naming_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        Inner(2.0)  # positional values are checked under their field's name
    assert (info.value.key, info.value.allowed) == ("p", "a number in [0, 1]")
    with pytest.raises(ConfigError) as info:
        dataclasses.replace(Outer(), n=-2)
    assert (info.value.key, info.value.value) == ("n", -2)
    with pytest.raises(ConfigError, match="q"):
        Inner(q=0.75)
    with pytest.raises(TypeError, match="at most 2"):
        Inner(0.1, 0.1, 0.1)


def test_defaults_are_read_without_running_the_checks() -> None:
    assert defaults_of(Outer) == dataclasses.asdict(Outer())
    assert defaults_of(Outer)["inner"] == {"p": 0.5, "q": 0.25}


@pytest.mark.parametrize(
    ("data", "message_end"),
    [
        ({"nn": 2}, "; did you mean cfg.n?"),
        ({"inner": {"pp": 0.1}}, "; did you mean cfg.inner.p?"),
        ({"items": [{"qq": 0.1}]}, "; did you mean cfg.items[0].q?"),
        ({"kinds": "a"}, "; did you mean cfg.kind?"),
        ({"zzzzzz": 1}, "'kind', 'maybe', 'n']"),  # nothing close: no suggestion
    ],
)
def test_an_unknown_key_suggests_the_closest_allowed_keys(data: dict, message_end: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(Outer, data, "cfg")
    assert str(info.value).endswith(message_end)


def test_a_suggestion_follows_the_key_under_a_prefix() -> None:
    err = ConfigError("coeffs.lrr", 0.1, "only the keys ['lr']", ("lr",)).under("method")
    assert str(err).endswith("allowed only the keys ['lr']; did you mean method.coeffs.lr?")
