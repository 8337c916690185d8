"""A command line Hydra cannot compose: an unknown key or option ends in one line naming it, the
closest allowed names and how to list them, never Hydra's "+key" advice."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hydra.errors import HydraException

from subnetlab.cli.composition_errors import BAD_INPUT, explain, run_reporting_composition_errors
from subnetlab.cli.help import compose_for_help
from tests.conftest import CONF


def _composition_error(argv: list[str]) -> HydraException:
    """The exception Hydra raises composing ``argv``."""
    with pytest.raises(HydraException) as info:
        compose_for_help(CONF, argv)
    return info.value


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["method=spd", "method.lrr=0.1"],
            "method.lrr=0.1: no such key; did you mean method.lr? "
            "(the keys: run.py method=spd --help)",
        ),
        (
            ["method=bimt", "model=mlp", "dataset=two_moons", "method.cost.layer_gapp=1"],
            "method.cost.layer_gapp=1: no such key; did you mean method.cost.layer_gap? "
            "(the keys: run.py method=bimt --help)",
        ),
        (
            ["trainer.max_stepz=3"],
            "trainer.max_stepz=3: no such key; did you mean trainer.max_steps? "
            "(the keys: run.py trainer=cpu --help)",
        ),
        (["sed=1"], "sed=1: no such key; did you mean seed? (the keys: run.py --help)"),
        (["~method.lrr"], "~method.lrr: no such key; did you mean method.lr?"),
        (["method.zzzzzz=1"], "method.zzzzzz=1: no such key (the keys: run.py method=spd --help)"),
    ],
)
def test_an_unknown_key_names_the_closest_keys_beside_it(argv: list[str], line: str) -> None:
    message = explain(_composition_error(argv), argv, CONF)
    assert message is not None and message.startswith(line)
    assert "+" not in message


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["model=TMS"], "model=TMS: no such option; did you mean model=tms? (options: "),
        (["method=SPD"], "method=SPD: no such option; did you mean method=spd or method=apd?"),
        (
            ["experiment=spd_tms52"],
            "experiment=spd_tms52: no such option; did you mean experiment=spd_tms_5_2,",
        ),
        (["model=qqqqqq"], "model=qqqqqq: no such option (options: "),
    ],
)
def test_an_unknown_option_names_the_closest_options_and_lists_all(
    argv: list[str], start: str
) -> None:
    message = explain(_composition_error(argv), argv, CONF)
    assert message is not None and message.startswith(start)
    options = message.split("(options: ")[1].rstrip(")").split(", ")
    group = argv[0].split("=")[0]
    assert options == sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def test_other_composition_errors_are_left_to_hydra() -> None:
    argv = ["+method.lr=1"]  # "an item is already at method.lr": Hydra's advice is right there
    assert explain(_composition_error(argv), argv, CONF) is None


def test_a_swept_value_with_cfg_says_the_config_is_one_runs() -> None:
    error = _composition_error(["seed=0,1"])  # "Ambiguous value ... add --multirun"
    assert explain(error, ["--cfg", "job", "seed=0,1"], CONF) == (
        "seed=0,1: --cfg and --info compose one run, so each key takes one value (a list is "
        "written key=[a,b]; a sweep's job configs: run.py -m ... saves each in its folder's "
        ".hydra/config.yaml)"
    )
    # a run: Hydra's advice (a list, a quoted string or --multirun) is right there
    assert explain(error, ["seed=0,1"], CONF) is None


def _main_composing(argv: list[str]) -> Callable[[], object]:
    """In place of the ``@hydra.main`` function: composing ``argv`` raises Hydra's error."""
    return lambda: compose_for_help(CONF, argv)


def test_the_wrapper_prints_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["model=TMS"]
    with pytest.raises(SystemExit) as info:
        run_reporting_composition_errors(_main_composing(argv), argv, CONF)
    assert info.value.code == BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: model=TMS: no such option; did you mean model=tms?")
    assert err.count("\n") == 1
    assert "HYDRA_FULL_ERROR" not in os.environ


def test_the_wrapper_reports_other_hydra_errors_as_hydra_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["+method.lr=1"]
    with pytest.raises(SystemExit) as info:
        run_reporting_composition_errors(_main_composing(argv), argv, CONF)
    assert info.value.code == 1
    assert "Either remove + prefix: 'method.lr=1'" in capsys.readouterr().err


def test_a_full_error_asked_for_keeps_hydras_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(HydraException, match="model/TMS"):
        run_reporting_composition_errors(_main_composing(["model=TMS"]), ["model=TMS"], CONF)
    assert os.environ["HYDRA_FULL_ERROR"] == "1"
