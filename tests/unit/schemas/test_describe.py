"""Field types and constraints in words, for error messages and the knob listing."""

from typing import Annotated, Literal

import annotated_types as at
import pytest
from pydantic import Field, StrictFloat, StrictInt, StrictStr

from subnetlab.schemas.describe import allowed_values, field_at, type_label
from subnetlab.schemas.spd import ModuleC, SPDSchema


@pytest.mark.parametrize(
    ("annotation", "constraints", "allowed", "label"),
    [
        (StrictInt, [at.Ge(1)], "an integer ≥ 1", "int ≥ 1"),
        (StrictFloat, [at.Gt(0)], "a number > 0", "float > 0"),
        (StrictFloat, [at.Ge(0), at.Le(1)], "a number in [0, 1]", "float in [0, 1]"),
        (StrictFloat, [at.Gt(0), at.Lt(0.5)], "a number in (0, 0.5)", "float in (0, 0.5)"),
        (StrictFloat, [at.Ge(0), at.Lt(1)], "a number in [0, 1)", "float in [0, 1)"),
        (StrictInt | None, [at.Ge(1)], "null or an integer ≥ 1", "int ≥ 1 | null"),
        (bool, [], "true or false", "bool"),
        (Literal["sum", "mean"], [], "one of 'sum', 'mean'", "sum|mean"),
        (list[StrictStr], [at.MinLen(1)], "a non-empty list of strings", "list[str], non-empty"),
        (
            list[Annotated[StrictInt, Field(ge=1)]],
            [at.MinLen(2)],
            "a list of at least 2 integers ≥ 1",
            "list[int ≥ 1], ≥ 2 items",
        ),
        (ModuleC, [], "a mapping with keys ['C', 'pattern']", "{pattern, C}"),
        (list[ModuleC], [], "a list of mappings with keys ['C', 'pattern']", "list[{pattern, C}]"),
    ],
)
def test_allowed_values_and_labels(annotation, constraints, allowed: str, label: str) -> None:
    assert allowed_values(annotation, constraints) == allowed
    assert type_label(annotation, constraints) == label


def test_field_at_walks_nested_schemas_and_lists() -> None:
    where = field_at(SPDSchema, ("modules", 0, "C"))
    assert where.owner_fields == ("pattern", "C")
    assert allowed_values(where.annotation, where.constraints) == "an integer ≥ 1"
    unknown = field_at(SPDSchema, ("coeffs", "fidelity"))
    assert "importance_minimality" in unknown.owner_fields
