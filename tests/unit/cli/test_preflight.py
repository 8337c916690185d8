"""Checks before Hydra starts: Hydra flags that cannot go together end in one line naming them
and what is allowed (Hydra's own answer is a ValueError traceback), exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from subnetlab.cli.preflight import BAD_INPUT, hydra_flag_conflict
from tests.conftest import run_cli

ONE_JOB = (
    "--cfg and --info compose one run, not a sweep; for one job of a sweep give --cfg job one "
    "value of each swept key (seed=3, not seed=0,1,2), --cfg hydra shows a sweep option's "
    "hydra.sweeper.params, and a sweep saves each job's config in its folder's .hydra/config.yaml"
)
ONE_THING = (
    "Hydra does one thing per command: a run (the default, or -r), a sweep (-m), print the config "
    "(--cfg job|hydra|all), print Hydra's information (--info [TOPIC]) or shell completion (-sc)"
)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["-m", "method=spd", "--cfg", "job"],
            f"-m/--multirun and --cfg job cannot be combined: {ONE_JOB}",
        ),
        (
            ["--cfg=hydra", "--multi"],
            f"-m/--multirun and --cfg hydra cannot be combined: {ONE_JOB}",
        ),
        (
            ["--multirun", "-i", "config"],
            f"-m/--multirun and --info config cannot be combined: {ONE_JOB}",
        ),
        (["-c", "job", "--info"], f"--cfg job and --info all cannot be combined: {ONE_THING}"),
        (["--run", "-m"], f"-r/--run and -m/--multirun cannot be combined: {ONE_THING}"),
        (
            ["--cfg", "all", "-sc", "-r"],
            f"-r/--run and --cfg all and -sc/--shell-completion cannot be combined: {ONE_THING}",
        ),
        (
            ["-m", "--resolve"],
            "--resolve without --cfg: --resolve resolves the interpolations of the config that "
            "--cfg prints (--cfg job --resolve)",
        ),
    ],
)
def test_flags_that_cannot_go_together_are_named(argv: list[str], line: str) -> None:
    assert hydra_flag_conflict(argv) == line


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["method=spd", "model=tms"],
        ["-m", "seed=0,1"],
        ["--cfg", "job", "--resolve", "seed=2"],
        ["--info", "defaults"],
        ["--hydra-help", "-m", "--cfg", "job"],  # Hydra prints its help whatever else is given
    ],
)
def test_flags_hydra_accepts_pass(argv: list[str]) -> None:
    assert hydra_flag_conflict(argv) is None


def test_a_flag_hydras_parser_refuses_gets_hydras_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        hydra_flag_conflict(["--cfg", "foo"])
    assert info.value.code == BAD_INPUT
    assert "invalid choice: 'foo' (choose from 'job', 'hydra', 'all')" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["-m", "method=spd", "--cfg", "job"],
            f"error: -m/--multirun and --cfg job cannot be combined: {ONE_JOB}",
        ),
        (
            ["--info", "--cfg", "job"],
            f"error: --cfg job and --info all cannot be combined: {ONE_THING}",
        ),
        (
            ["--resolve", "method=spd"],
            "error: --resolve without --cfg: --resolve resolves the interpolations of the config "
            "that --cfg prints (--cfg job --resolve)",
        ),
    ],
)
def test_run_py_prints_one_line_and_exits_2_before_any_work(
    argv: list[str], line: str, tmp_path: Path
) -> None:
    proc = run_cli(argv, tmp_path, timeout=60)
    assert (proc.returncode, proc.stderr, proc.stdout) == (BAD_INPUT, line + "\n", "")
    assert list(tmp_path.iterdir()) == []  # no run folder, no outputs/
