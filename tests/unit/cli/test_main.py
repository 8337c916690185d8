"""An unexpected error ends in one console line; its traceback goes to run.log only."""

import io
import logging
from pathlib import Path

import pytest
from hydra.types import RunMode
from omegaconf import OmegaConf
from rich.console import Console

from subnetlab.cli import console as console_module
from subnetlab.cli import main as main_module


def test_an_unexpected_error_is_one_line_with_its_traceback_in_run_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(console_module, "console", Console(file=out, width=60, color_system=None))
    runtime = OmegaConf.create(
        {
            "runtime": {"output_dir": str(tmp_path), "choices": {"model": "tms"}},
            "mode": RunMode.RUN,
            "overrides": {"task": []},
            "output_subdir": None,
        }
    )
    monkeypatch.setattr(main_module.HydraConfig, "get", staticmethod(lambda: runtime))

    def broken_backend(*args: object, **kwargs: object) -> None:
        raise RuntimeError("[../gloo/transport/tcp/pair.cc:553] Connection closed by peer [/]")

    monkeypatch.setattr(main_module, "run", broken_backend)
    console_stream, file_handler = io.StringIO(), logging.FileHandler(tmp_path / "run.log")
    root = logging.getLogger()
    handlers = [logging.StreamHandler(console_stream), file_handler]
    for handler in handlers:
        root.addHandler(handler)
    try:
        with pytest.raises(SystemExit) as info:
            main_module.entry(OmegaConf.create({"seed": 0}))
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        file_handler.close()
    assert info.value.code == 1
    errors = [line for line in out.getvalue().splitlines() if line.startswith("error:")]
    assert errors == [
        "error: RuntimeError: [../gloo/transport/tcp/pair.cc:553] Connection closed by peer [/] "
        f"(traceback in {tmp_path / 'run.log'})"
    ]
    assert console_stream.getvalue() == ""  # the logged traceback stayed off the console
    logged = (tmp_path / "run.log").read_text()
    assert "Traceback (most recent call last)" in logged and "broken_backend" in logged
