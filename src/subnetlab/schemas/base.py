"""Typed, closed config schemas: strict dict → dataclass conversion with clear errors."""

from __future__ import annotations

import dataclasses
import types

from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")

# keys Hydra/instantiate put into nodes that are not schema fields
RESERVED_KEYS = frozenset({"_target_", "_partial_", "_recursive_", "_convert_"})


class ConfigError(ValueError):
    """A config value is missing, unknown, of the wrong type or out of range."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config value {key}={value!r}: allowed {allowed}")

    def under(self, prefix: str) -> ConfigError:
        return ConfigError(f"{prefix}.{self.key}" if prefix else self.key, self.value, self.allowed)


def require(ok: bool, key: str, value: Any, allowed: str) -> None:
    """Raise a ConfigError for ``key`` unless ``ok``; used in schemas' ``__post_init__``."""
    if not ok:
        raise ConfigError(key, value, allowed)


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp))
    if origin in (list, tuple):
        args = get_args(tp)
        return f"a list of {_type_name(args[0])}" if args else "a list"
    if origin is dict:
        return f"a mapping to {_type_name(get_args(tp)[1])}"
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return f"a mapping with keys {[f.name for f in dataclasses.fields(tp)]}"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in get_args(tp):
            raise ConfigError(key, value, _type_name(tp))
        return value
    if origin in (Union, types.UnionType):
        for arg in get_args(tp):
            try:
                return _convert(arg, value, key)
            except ConfigError:
                continue
        raise ConfigError(key, value, _type_name(tp))
    if tp is type(None):
        if value is not None:
            raise ConfigError(key, value, "null")
        return None
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, value, _type_name(tp))
        (item_tp,) = get_args(tp)[:1] or (Any,)
        items = [_convert(item_tp, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, value, _type_name(tp))
        _, val_tp = get_args(tp)
        return {str(k): _convert(val_tp, v, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(key, value, _type_name(tp))
        return from_dict(tp, value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, value, "true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, "an integer")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, value, "a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(key, value, "a string")
        return value
    raise TypeError(f"schema type {tp!r} of {key} is not supported by the validator")


def from_dict(cls: type[T], data: dict[str, Any], path: str = "") -> T:
    """Build dataclass ``cls`` from ``data``; unknown keys, wrong types and bad ranges raise
    ConfigError naming the full key, the value and what is allowed."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    unknown = sorted(set(data) - set(fields) - RESERVED_KEYS)
    if unknown:
        key = f"{path}.{unknown[0]}" if path else unknown[0]
        raise ConfigError(key, data[unknown[0]], f"only the keys {sorted(fields)}")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        key = f"{path}.{name}" if path else name
        if name not in data:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise ConfigError(key, "<missing>", f"a value of type {_type_name(hints[name])}")
            continue
        kwargs[name] = _convert(hints[name], data[name], key)
    try:
        return cls(**kwargs)
    except ConfigError as err:
        raise err.under(path) from None


def to_dict(obj: Any) -> dict[str, Any]:
    """A plain dict of a schema instance (for logging and hashing)."""
    return dataclasses.asdict(obj)


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings with '/' separators (TensorBoard HPARAMS wants scalars)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(flatten(v, key))
        elif isinstance(v, (list, tuple)):
            out[key] = str(list(v))
        else:
            out[key] = v
    return out


__all__ = ["ConfigError", "require", "from_dict", "to_dict", "flatten", "asdict_flat"]


def asdict_flat(cfg: Any) -> dict[str, Any]:
    """A schema instance (with nested schema instances) as one flat '/'-separated dict."""
    return flatten(dataclasses.asdict(cfg))
