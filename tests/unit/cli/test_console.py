"""The console prints outside text as it is, and a failure as one line."""

import io
import logging

import pytest
from rich.console import Console

from subnetlab.cli import console as console_module
from subnetlab.cli.console import (
    keep_file_only_records_off_console,
    print_error,
    print_run_start,
    print_summary,
)
from subnetlab.utils.log_records import FILE_ONLY
from tests.conftest import compose_raw

GLOO_ERROR = (
    "RuntimeError: [../third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by "
    "peer [127.0.0.1]:29500 [/] [bold]"
)


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    out = io.StringIO()
    narrow = Console(file=out, width=60, highlight=False, color_system=None)
    monkeypatch.setattr(console_module, "console", narrow)
    return out


def test_error_text_with_square_brackets_prints_verbatim_on_one_line(printed: io.StringIO) -> None:
    print_summary(
        "failed",
        {"status": "failed", "loss/[total]": 1.5, "error": GLOO_ERROR},
        "/runs/[red]x",
        GLOO_ERROR,
        ["note with [dim] and [/] inside"],
    )
    lines = printed.getvalue().splitlines()
    failure = [line for line in lines if line.startswith("run failed:")]
    assert failure == [f"run failed: {GLOO_ERROR}"]  # one line, although wider than the console
    assert "note with [dim] and [/] inside" in lines
    assert "run folder: /runs/[red]x" in lines
    assert any("loss/[total]" in line for line in lines)
    assert sum(GLOO_ERROR[:20] in line for line in lines) == 1  # not repeated in the table


def test_a_multi_line_message_becomes_one_line(printed: io.StringIO) -> None:
    print_error("error:", "first line\nsecond [line]\n  third")
    assert printed.getvalue() == "error: first line second [line] third\n"


def test_file_only_records_reach_the_file_but_not_the_console(tmp_path) -> None:
    root = logging.getLogger()
    console_stream = io.StringIO()
    console_handler = logging.StreamHandler(console_stream)
    file_handler = logging.FileHandler(tmp_path / "run.log")
    root.addHandler(console_handler)
    root.addHandler(file_handler)
    try:
        keep_file_only_records_off_console()
        keep_file_only_records_off_console()  # a second job in the same process
        assert len(console_handler.filters) == 1 and not file_handler.filters
        log = logging.getLogger("subnetlab.test")
        log.setLevel(logging.INFO)
        log.info("on both")
        try:
            raise ValueError("boom")
        except ValueError:
            log.error("traceback for the file", exc_info=True, extra=FILE_ONLY)
    finally:
        root.removeHandler(console_handler)
        root.removeHandler(file_handler)
        file_handler.close()
    assert console_stream.getvalue() == "on both\n"
    logged = (tmp_path / "run.log").read_text()
    assert "on both" in logged and "Traceback" in logged and "ValueError: boom" in logged


LONG_DIR = "/data/" + "a_folder_name_much_longer_than_the_console_is_wide_" * 2 + "/runs/2026-01-05"


def test_a_run_starts_with_its_options_overrides_and_folder_each_on_one_line(
    printed: io.StringIO,
) -> None:
    config = compose_raw(["model=tms_40_10", "seed=3"])
    config["model_option"] = "tms_40_10"  # what run.py's resolver records
    print_run_start(config, ["model=tms_40_10", "seed=3"], LONG_DIR, full=False)
    assert printed.getvalue().splitlines() == [
        "method=spd model=tms_40_10; overrides: model=tms_40_10 seed=3 "
        "(the whole config: print_config=full)",
        f"run folder: {LONG_DIR}",
    ]


def test_the_whole_config_on_request_keeps_long_paths_whole(printed: io.StringIO) -> None:
    config = compose_raw([f"paths.output_dir={LONG_DIR}"])
    print_run_start(config, [f"paths.output_dir={LONG_DIR}"], LONG_DIR, full=True)
    lines = printed.getvalue().splitlines()
    assert (
        lines[0] == "config:" and lines[1] == "method:" and lines[-1] == f"run folder: {LONG_DIR}"
    )
    assert f"  output_dir: {LONG_DIR}" in lines and "  ci_fn_hidden: 256" in lines
    assert "seed: 0" in lines  # every top-level key, after the groups


def test_a_capturing_handler_keeps_file_only_records() -> None:
    # pytest's and a notebook's log capture subclass StreamHandler: they are not the console
    class Capturing(logging.StreamHandler):
        pass

    root = logging.getLogger()
    capturing = Capturing(io.StringIO())
    root.addHandler(capturing)
    try:
        keep_file_only_records_off_console()
    finally:
        root.removeHandler(capturing)
    assert not capturing.filters
