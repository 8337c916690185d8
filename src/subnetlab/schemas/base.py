"""Typed, closed config schemas on pydantic v2, with errors that name the key, the value and what
is allowed.

A schema is a class decorated with :func:`schema`: a pydantic dataclass (so ``dataclasses.asdict``,
``replace`` and ``fields`` keep working) that forbids unknown keys, never coerces a string to a
number or a bool to an integer, and rejects inf and nan in every float field. Scalar fields are
annotated with pydantic's ``StrictInt``/``StrictFloat``/``StrictBool``/``StrictStr`` (a strict
config would also refuse the mappings that nested schemas are given as), range checks are
``Field(ge=…, gt=…, le=…, lt=…)``, and each field carries a one-line ``description`` that
``python run.py --help`` lists. Checks across fields live in a ``model_validator(mode="after")``
that raises :class:`ConfigError` through :func:`require`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pydantic.dataclasses
from pydantic import ConfigDict, TypeAdapter, ValidationError

from subnetlab.schemas.describe import allowed_values, field_at, schema_fields
from subnetlab.schemas.suggest import closest, did_you_mean

T = TypeVar("T")

# keys Hydra/instantiate put into nodes that are not schema fields
RESERVED_KEYS = frozenset({"_target_", "_partial_", "_recursive_", "_convert_"})

SCHEMA_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)

#: the seeds numpy, torch and Lightning's ``seed_everything`` all accept
MAX_SEED = 2**32 - 1


class ConfigError(ValueError):
    """A config value is missing, unknown, of the wrong type or out of range.

    ``siblings``: for an unknown key, the allowed keys beside it closest to it (bare names, best
    first); the message then suggests them under the key's own prefix ("did you mean
    method.lr?")."""

    def __init__(self, key: str, value: Any, allowed: str, siblings: tuple[str, ...] = ()) -> None:
        self.key, self.value, self.allowed, self.siblings = key, value, allowed, siblings
        message = f"invalid config value {key}={value!r}: allowed {allowed}"
        if siblings:
            parent = key.rpartition(".")[0]
            message += "; " + did_you_mean([f"{parent}.{s}" if parent else s for s in siblings])
        super().__init__(message)

    def under(self, prefix: str) -> ConfigError:
        """The same error with its key below ``prefix`` (``coeffs.lr`` → ``method.coeffs.lr``)."""
        if not prefix:
            return self
        if not self.key:
            key = prefix
        elif self.key.startswith("["):
            key = f"{prefix}{self.key}"
        else:
            key = f"{prefix}.{self.key}"
        return ConfigError(key, self.value, self.allowed, self.siblings)


def require(ok: bool, key: str, value: Any, allowed: str) -> None:
    """Raise a ConfigError for ``key`` unless ``ok``; used by checks that span several fields."""
    if not ok:
        raise ConfigError(key, value, allowed)


def _join(path: str, loc: tuple[Any, ...]) -> str:
    key = path
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif isinstance(part, str):
            key = f"{key}.{part}" if key else part
    return key


def config_error(cls: type, err: ValidationError, path: str = "") -> ConfigError:
    """The first problem of pydantic's ``err`` (validating ``cls`` at ``path``) as a ConfigError
    naming the full key, the bad value and what the schema allows there."""
    first = err.errors(include_url=False)[0]
    loc = tuple(part for part in first["loc"] if isinstance(part, (str, int)))
    kind = first["type"]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, ConfigError):  # a check across fields: its key is relative to loc
        return cause.under(_join(path, loc))
    key = _join(path, loc)
    where = field_at(cls, loc)
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        unknown = str(loc[-1]) if loc else key
        return ConfigError(
            key,
            first["input"],
            f"only the keys {sorted(where.owner_fields)}",
            tuple(closest(unknown, where.owner_fields)),
        )
    allowed = allowed_values(where.annotation, where.constraints)
    if kind in ("missing", "missing_argument"):
        return ConfigError(key, "<missing>", f"a value: {allowed}")
    if kind == "finite_number":
        allowed = allowed.replace("a number", "a finite number", 1)
    elif cause is not None:  # a plain ValueError from a validator
        allowed = str(cause)
    return ConfigError(key, first["input"], allowed)


def schema(cls: type[T]) -> type[T]:
    """Class decorator: ``cls`` as a closed pydantic dataclass whose construction (also through
    ``dataclasses.replace``) raises :class:`ConfigError` instead of pydantic's ValidationError."""
    built: Any = pydantic.dataclasses.dataclass(config=SCHEMA_CONFIG)(cls)
    pydantic_init: Callable[..., None] = built.__init__
    names = list(schema_fields(built))

    @functools.wraps(pydantic_init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__} takes at most {len(names)} positional values")
        doubled = set(names[: len(args)]) & set(kwargs)
        if doubled:
            raise TypeError(f"{cls.__name__} got {sorted(doubled)} twice")
        try:  # positional values by name, so an error names the field, not its position
            pydantic_init(self, **dict(zip(names, args, strict=False)), **kwargs)
        except ValidationError as err:
            raise config_error(built, err) from None

    built.__init__ = __init__
    return built


@functools.cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def _without_reserved(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_reserved(v) for k, v in value.items() if k not in RESERVED_KEYS}
    if isinstance(value, list):
        return [_without_reserved(v) for v in value]
    return value


def from_dict(cls: type[T], data: Any, path: str = "") -> T:
    """Validate the mapping ``data`` (Hydra's ``_target_``-style keys ignored) into schema ``cls``.

    Raises ConfigError naming the full key (``path`` + the field's key), the value and what is
    allowed, for unknown keys, wrong types, out-of-range and non-finite values."""
    if not isinstance(data, dict):
        raise ConfigError(path, data, allowed_values(cls, ()))
    schema_cls: type = cls  # as a plain type: mypy takes a bare type[T] for unhashable
    try:
        return _adapter(schema_cls).validate_python(_without_reserved(data))
    except ValidationError as err:
        raise config_error(cls, err, path) from None


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def defaults_of(cls: type) -> dict[str, Any]:
    """Every field of schema ``cls`` at its default, as plain data (nested schemas as dicts).
    Read from the field declarations: ``cls``'s own checks (which may import heavy modules) do
    not run."""
    return {
        name: _plain(info.get_default(call_default_factory=True))
        for name, info in schema_fields(cls).items()
    }


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


def asdict_flat(cfg: Any) -> dict[str, Any]:
    """A schema instance (with nested schema instances) as one flat '/'-separated dict."""
    return flatten(dataclasses.asdict(cfg))


__all__ = [
    "MAX_SEED",
    "ConfigError",
    "asdict_flat",
    "config_error",
    "defaults_of",
    "flatten",
    "from_dict",
    "require",
    "schema",
    "to_dict",
]
