from dataclasses import dataclass, field
from typing import Literal

import pytest

from subnetlab.schemas.base import ConfigError, from_dict, require


@dataclass
class Inner:
    p: float = 0.5

    def __post_init__(self) -> None:
        require(0 <= self.p <= 1, "p", self.p, "a probability in [0, 1]")


@dataclass
class Outer:
    n: int = 1
    kind: Literal["a", "b"] = "a"
    maybe: int | None = None
    inner: Inner = field(default_factory=Inner)
    items: list[Inner] = field(default_factory=list)


def test_valid_values_convert() -> None:
    out = from_dict(Outer, {"n": 3, "kind": "b", "maybe": None, "inner": {"p": 1}, "items": [{}]})
    assert out == Outer(3, "b", None, Inner(1.0), [Inner()])
    assert isinstance(out.inner.p, float)


@pytest.mark.parametrize(
    ("data", "key", "allowed"),
    [
        ({"m": 1}, "cfg.m", "only the keys"),
        ({"n": "x"}, "cfg.n", "an integer"),
        ({"n": 1.5}, "cfg.n", "an integer"),
        ({"n": True}, "cfg.n", "an integer"),
        ({"kind": "c"}, "cfg.kind", "one of 'a', 'b'"),
        ({"inner": {"p": 1.5}}, "cfg.inner.p", "a probability in [0, 1]"),
        ({"items": [{"p": -1}]}, "cfg.items[0].p", "a probability"),
        ({"inner": 3}, "cfg.inner", "a mapping with keys ['p']"),
    ],
)
def test_errors_name_key_value_and_what_is_allowed(data: dict, key: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(Outer, data, "cfg")
    assert info.value.key == key
    assert allowed in str(info.value)
