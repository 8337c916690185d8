"""What a schema field allows, in words: for error messages ("an integer ≥ 1") and for the knob
listing of ``python run.py --help`` ("int ≥ 1"). Reads pydantic's field annotations and their
``annotated_types`` constraints (what ``Field(ge=…, gt=…, le=…, lt=…, min_length=…)`` stores)."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic.fields import FieldInfo

NONE_TYPE = type(None)


def unannotate(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """``Annotated[int, Strict(), Ge(1)]`` → ``(int, (Strict(), Ge(1)))``; FieldInfo metadata is
    unpacked into its constraints."""
    if get_origin(tp) is not Annotated:
        return tp, ()
    base, *extras = get_args(tp)
    constraints: list[Any] = []
    for extra in extras:
        constraints.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return base, tuple(constraints)


def optional_member(tp: Any) -> Any:
    """``X | None`` → ``X``; anything else unchanged."""
    if get_origin(tp) in (Union, types.UnionType):
        members = [m for m in get_args(tp) if m is not NONE_TYPE]
        if len(members) == 1:
            return members[0]
    return tp


def schema_fields(cls: type) -> dict[str, FieldInfo]:
    """Field name → pydantic FieldInfo (annotation, default, constraints, description)."""
    return dict(cls.__pydantic_fields__)  # type: ignore[attr-defined]


def is_schema(tp: Any) -> bool:
    return (
        isinstance(tp, type) and dataclasses.is_dataclass(tp) and hasattr(tp, "__pydantic_fields__")
    )


@dataclasses.dataclass(frozen=True)
class FieldAt:
    """The field a location inside a schema points to, and the fields of the schema holding it."""

    owner_fields: tuple[str, ...]
    annotation: Any
    constraints: tuple[Any, ...]


def field_at(cls: type, loc: Iterable[str | int]) -> FieldAt:
    """Walk ``loc`` (pydantic's error location, e.g. ``("modules", 0, "C")``) down from ``cls``."""
    owner: type = cls
    annotation: Any = cls
    constraints: tuple[Any, ...] = ()
    for part in loc:
        base = optional_member(unannotate(annotation)[0])
        if isinstance(part, str) and is_schema(base):
            owner = base
            fields = schema_fields(base)
            if part not in fields:  # an unknown key: nothing below it to describe
                return FieldAt(tuple(fields), Any, ())
            annotation, constraints = fields[part].annotation, tuple(fields[part].metadata)
        elif isinstance(part, int) and get_origin(base) is list:
            annotation, constraints = (get_args(base) or (Any,))[0], ()
    return FieldAt(tuple(schema_fields(owner)), annotation, constraints)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bounds(constraints: Iterable[Any]) -> str:
    """`` ≥ 1``, `` > 0``, `` in [0, 1]``, `` in (0, 0.5)``: the range of a number, or ``""``."""
    low: object | None = None
    high: object | None = None
    low_closed = high_closed = True
    for c in constraints:
        if isinstance(c, annotated_types.Ge):
            low, low_closed = c.ge, True
        elif isinstance(c, annotated_types.Gt):
            low, low_closed = c.gt, False
        elif isinstance(c, annotated_types.Le):
            high, high_closed = c.le, True
        elif isinstance(c, annotated_types.Lt):
            high, high_closed = c.lt, False
    if low is not None and high is not None:
        return (
            f" in {'[' if low_closed else '('}{_number(low)}, "
            f"{_number(high)}{']' if high_closed else ')'}"
        )
    if low is not None:
        return f" {'≥' if low_closed else '>'} {_number(low)}"
    if high is not None:
        return f" {'≤' if high_closed else '<'} {_number(high)}"
    return ""


def _min_length(constraints: Iterable[Any]) -> int:
    return max(
        (c.min_length for c in constraints if isinstance(c, annotated_types.MinLen)), default=0
    )


def _plural(item: Any) -> str:
    base, constraints = unannotate(item)
    if base is int:
        return "integers" + _bounds(constraints)
    if base is float:
        return "numbers" + _bounds(constraints)
    if base is str:
        return "strings"
    if get_origin(base) is Literal:
        return "values among " + ", ".join(repr(a) for a in get_args(base))
    if is_schema(base):
        return f"mappings with keys {sorted(schema_fields(base))}"
    return "values"


def allowed_values(annotation: Any, constraints: Iterable[Any] = ()) -> str:
    """What a field accepts, in words: ``an integer ≥ 1``, ``null or a number in [0, 1]``,
    ``one of 'sum', 'mean'``, ``a list of at least 1 strings``, ``a mapping with keys [...]``."""
    base, more = unannotate(annotation)
    constraints = (*constraints, *more)
    origin = get_origin(base)
    if origin in (Union, types.UnionType):
        members = [m for m in get_args(base) if m is not NONE_TYPE]
        text = " or ".join(allowed_values(m, constraints) for m in members)
        return f"null or {text}" if len(members) < len(get_args(base)) else text
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(base))
    if base is bool:
        return "true or false"
    if base is int:
        return "an integer" + _bounds(constraints)
    if base is float:
        return "a number" + _bounds(constraints)
    if base is str:
        return "a string"
    if origin is list:
        least = _min_length(constraints)
        item = (get_args(base) or (Any,))[0]
        if least == 1:
            return "a non-empty list of " + _plural(item)
        return "a list of " + (f"at least {least} " if least else "") + _plural(item)
    if is_schema(base):
        return f"a mapping with keys {sorted(schema_fields(base))}"
    if origin is dict or base is dict:
        return "a mapping"
    return "any value"


def type_label(annotation: Any, constraints: Iterable[Any] = ()) -> str:
    """A short type for the knob listing: ``int ≥ 1``, ``float in [0, 1] | null``,
    ``sum|mean``, ``list[str]``, ``list[{pattern, C}]``."""
    base, more = unannotate(annotation)
    constraints = (*constraints, *more)
    origin = get_origin(base)
    if origin in (Union, types.UnionType):
        members = [m for m in get_args(base) if m is not NONE_TYPE]
        text = " | ".join(type_label(m, constraints) for m in members)
        return f"{text} | null" if len(members) < len(get_args(base)) else text
    if origin is Literal:
        return "|".join(str(a) for a in get_args(base))
    if base in (bool, int, float, str):
        return base.__name__ + (_bounds(constraints) if base in (int, float) else "")
    if origin is list:
        least = _min_length(constraints)
        item = type_label((get_args(base) or (Any,))[0])
        if least:
            return f"list[{item}], " + ("non-empty" if least == 1 else f"≥ {least} items")
        return f"list[{item}]"
    if is_schema(base):
        names = list(schema_fields(base))
        return "{" + ", ".join(names[:3] + (["…"] if len(names) > 3 else [])) + "}"
    if origin is dict or base is dict:
        return "mapping"
    return "any"
