"""Progress reports: plain lines when stdout is not a terminal, a tqdm bar on a real terminal."""

import io
import logging
import os
import sys
from pathlib import Path

import pytest

from subnetlab.utils.progress import Progress, configure, settings


@pytest.fixture(autouse=True)
def _default_settings():
    before = settings()
    configure(console=True, every_s=30.0)
    yield
    configure(before.console, before.every_s)


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "subnetlab"]


def test_plain_lines_say_count_rate_eta_and_values_when_stdout_is_not_a_terminal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert not sys.stdout.isatty()  # pytest captures stdout
    caplog.set_level(logging.INFO, logger="subnetlab")
    with Progress("spd on tms", total=4, every_s=0.0) as progress:
        for step in range(1, 5):
            progress.set_values(loss=1.0 / step)
            progress.advance_to(step)
    lines = _messages(caplog)
    assert lines[0] == "spd on tms: 4 steps to do"
    periodic = lines[1:-1]
    assert len(periodic) == 3  # steps 1-3; step 4 is reported by the closing line
    assert periodic[1].startswith("spd on tms: 2/4 steps (50%), ")
    assert "steps/s" in periodic[1] and "ETA " in periodic[1] and "elapsed 00:00" in periodic[1]
    assert periodic[1].endswith("loss 0.5")
    assert lines[-1].startswith("spd on tms: 4/4 steps in 00:00 (")
    assert lines[-1].endswith("loss 0.25")
    # on the console too: no record is marked file-only
    assert not any(getattr(r, "file_only", False) for r in caplog.records)


def test_lines_wait_every_s_between_them(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="subnetlab")
    with Progress("train", total=1000, every_s=3600.0) as progress:
        for step in range(1, 1001):
            progress.advance_to(step)
    assert _messages(caplog)[0] == "train: 1000 steps to do"
    assert len(_messages(caplog)) == 2  # the start and the closing line, none in between
    assert _messages(caplog)[1].startswith("train: 1000/1000 steps in ")


def test_a_quiet_loop_that_ends_quickly_writes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="subnetlab")
    with Progress("GW between 3 layers", total=6, unit="pair", announce=False) as progress:
        progress.update(6)
    assert _messages(caplog) == []
    with Progress("GW", total=6, unit="pair", announce=False, every_s=0.0, eta=False) as progress:
        progress.update(2)
        progress.update(4)
    lines = _messages(caplog)
    assert lines[0].startswith("GW: 2/6 pairs (33%)") and "ETA" not in lines[0]
    assert lines[-1].startswith("GW: 6/6 pairs in ")


def test_progress_bar_false_keeps_the_lines_in_the_run_log_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="subnetlab")
    configure(console=False, every_s=0.0)
    with Progress("bimt on mlp", total=2) as progress:
        progress.update(2)
    assert len(caplog.records) == 2
    assert all(getattr(r, "file_only", False) for r in caplog.records)


def test_a_terminal_gets_the_tqdm_bar_and_the_lines_go_to_the_run_log_only(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    caplog.set_level(logging.INFO, logger="subnetlab")
    leader, follower = os.openpty()
    terminal = os.fdopen(follower, "w")
    bar = io.StringIO()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr(sys, "stderr", bar)
    try:
        with Progress("spd on tms", total=5, every_s=0.0) as progress:
            progress.set_values(loss=0.125)
            progress.update(5)
    finally:
        monkeypatch.undo()
        terminal.close()
        os.close(leader)
    assert "spd on tms: 100%" in bar.getvalue() and "5/5" in bar.getvalue()
    assert "loss=0.125" in bar.getvalue()
    assert caplog.records and all(getattr(r, "file_only", False) for r in caplog.records)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="every_s must be a finite number >= 0; got -1"):
        configure(console=True, every_s=-1.0)
    with pytest.raises(ValueError, match="total must be >= 0 or None; got -3"):
        Progress("x", total=-3)
