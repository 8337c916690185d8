"""Suggestions for a mistyped name: the closest allowed names, case-insensitively, best first."""

import pytest

from subnetlab.schemas.suggest import closest, did_you_mean

EXPERIMENTS = [
    "apd_tms_5_2",
    "bimt_mnist",
    "gw_hf",
    "spd_tms_40_10",
    "spd_tms_5_2",
    "spd_tms_5_2_id",
]


@pytest.mark.parametrize(
    ("name", "allowed", "expected"),
    [
        ("lrr", ["lr", "lr_schedule", "steps", "pnorm"], ["lr"]),
        ("TMS", ["mlp", "tms", "tms_40_10", "transformer"], ["tms"]),
        ("SPD", ["apd", "bimt", "gw", "spd", "train"], ["spd", "apd"]),
        ("spd_tms52", EXPERIMENTS, ["spd_tms_5_2", "apd_tms_5_2", "spd_tms_5_2_id"]),
        ("zzzz", ["lr", "steps", "seed"], []),
    ],
)
def test_closest_names(name: str, allowed: list[str], expected: list[str]) -> None:
    assert closest(name, allowed) == expected


def test_closest_keeps_the_allowed_spelling_and_stops_at_n() -> None:
    assert closest("Max_Steps", ["max_steps", "MAX_STEP", "log_every_n_steps"], n=1) == [
        "max_steps"
    ]


@pytest.mark.parametrize(
    ("candidates", "text"),
    [
        ([], ""),
        (["method.lr"], "did you mean method.lr?"),
        (["model=tms", "model=mlp"], "did you mean model=tms or model=mlp?"),
        (["a", "b", "c"], "did you mean a, b or c?"),
    ],
)
def test_did_you_mean_reads_as_a_sentence(candidates: list[str], text: str) -> None:
    assert did_you_mean(candidates) == text
