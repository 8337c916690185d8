"""Which schema validates which config-group option."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

from subnetlab.schemas.base import ConfigError, from_dict

T = TypeVar("T")

_SCHEMAS: dict[str, dict[str, type]] = {}


def register(group: str, name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: ``@register("method", "spd")`` validates nodes ``{name: spd, ...}`` of
    ``group``."""

    def wrap(cls: type[T]) -> type[T]:
        options = _SCHEMAS.setdefault(group, {})
        if name in options and options[name] is not cls:
            raise RuntimeError(f"two schemas registered for {group}/{name}")
        options[name] = cls
        return cls

    return wrap


#: packages whose modules register schemas: the schemas, and model files that hold their own
#: schema beside the network (a new model is its file plus its config)
_SCHEMA_PACKAGES = ("subnetlab.schemas", "subnetlab.models")


def _load_all() -> None:
    for name in _SCHEMA_PACKAGES:
        pkg = importlib.import_module(name)
        for mod in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


def schemas(group: str) -> dict[str, type]:
    """Option name → schema class of ``group`` (``method``, ``model``, ``dataset``)."""
    _load_all()
    return dict(_SCHEMAS.get(group, {}))


def validate_group(group: str, node: dict[str, Any]) -> Any:
    """Validate one group node (a plain dict with a ``name`` key) against its schema."""
    options = schemas(group)
    if not isinstance(node, dict) or "name" not in node:
        raise ConfigError(f"{group}.name", node, f"a {group} option: {sorted(options)}")
    name = node["name"]
    if name not in options:
        raise ConfigError(f"{group}.name", name, f"one of {sorted(options)}")
    return from_dict(options[name], node, group)
