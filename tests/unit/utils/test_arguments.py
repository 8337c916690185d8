"""The argparse types of the scripts and benchmarks accept what they allow and refuse the rest
with a message naming the value and what is allowed."""

from __future__ import annotations

import argparse

import pytest

from subnetlab.utils.arguments import (
    integer_at_least,
    parallel_jobs,
    positive_number,
    seed_list,
)


def test_integer_at_least_takes_its_minimum_and_refuses_below_and_non_integers() -> None:
    at_least_one = integer_at_least(1)
    assert at_least_one("1") == 1 and at_least_one("40") == 40
    with pytest.raises(argparse.ArgumentTypeError, match=r"^0: allowed an integer >= 1$"):
        at_least_one("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"'2.5' is not an integer"):
        at_least_one("2.5")
    assert integer_at_least(0)("0") == 0


def test_parallel_jobs_are_minus_one_or_a_positive_count() -> None:
    assert parallel_jobs("-1") == -1 and parallel_jobs("3") == 3
    for bad in ("0", "-2", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="allowed -1 .one per core."):
            parallel_jobs(bad)


def test_positive_number_refuses_zero_negative_infinite_and_text() -> None:
    assert positive_number("1e-4") == pytest.approx(1e-4)
    for bad in ("0", "-0.1", "inf", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="allowed a finite number > 0"):
            positive_number(bad)


def test_seed_lists_are_comma_separated_non_negative_integers() -> None:
    assert seed_list("0, 1,2") == "0,1,2"
    for bad in ("", "0,,1", "a,b", "-1", "0;1"):
        with pytest.raises(argparse.ArgumentTypeError, match="comma-separated non-negative"):
            seed_list(bad)


def test_an_option_with_such_a_type_stops_with_argparse_naming_option_and_rule(capsys) -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--steps", type=integer_at_least(1))
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["--steps", "-3"])
    assert stopped.value.code == 2
    assert "bench: error: argument --steps: -3: allowed an integer >= 1" in capsys.readouterr().err
