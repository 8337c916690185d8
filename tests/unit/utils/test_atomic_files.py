"""A write either replaces the destination whole or leaves it as it was, with no temporary file."""

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from subnetlab.lifecycle.outputs import write_json_atomic
from subnetlab.utils.atomic_files import (
    atomic_write,
    save_figure_atomic,
    save_npy_atomic,
    save_torch_atomic,
    write_bytes_atomic,
    write_text_atomic,
)

OLD = b"the previous, good content\n"


def _folder_with_old_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(OLD)
    return path


def _disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_writes_replace_the_file_and_leave_nothing_else(tmp_path: Path) -> None:
    path = _folder_with_old_file(tmp_path, "notes.txt")
    write_text_atomic(path, "new ünïcode text")
    assert path.read_text(encoding="utf-8") == "new ünïcode text"
    write_bytes_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as a plain open() would make it


def test_the_temporary_file_lives_in_the_destination_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def recording_replace(src: str, dst: str) -> None:
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    write_text_atomic(tmp_path / "metrics.json", "{}")
    ((src, dst),) = renames
    assert src.parent == dst.parent == tmp_path and src.name.startswith(".metrics.json.")


@pytest.mark.parametrize("stage", ["write", "fsync", "replace", "interrupt"])
def test_a_write_failing_midway_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    path = _folder_with_old_file(tmp_path, "metrics.json")
    if stage == "fsync":
        monkeypatch.setattr(os, "fsync", _disk_full)
    if stage == "replace":
        monkeypatch.setattr(os, "replace", _disk_full)
    expected = KeyboardInterrupt if stage == "interrupt" else OSError
    with pytest.raises(expected), atomic_write(path, "w") as handle:
        handle.write('{"status": "ok", "mmcs": 0.99')  # half of the new file is out
        handle.flush()
        if stage == "write":
            _disk_full()
        if stage == "interrupt":
            raise KeyboardInterrupt
    assert path.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_metrics_json_on_a_full_disk_keeps_the_previous_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "metrics.json"
    write_json_atomic(path, {"status": "ok", "mmcs": 1.0})
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_json_atomic(path, {"status": "failed"})
    assert json.loads(path.read_text()) == {"mmcs": 1.0, "status": "ok"}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


class _FailsToPickle:
    def __reduce__(self) -> tuple[object, ...]:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_torch_save_failing_midway_keeps_the_old_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "target.pt"
    save_torch_atomic(path, {"w": torch.arange(4.0)})
    # the tensor's bytes are written before the object that fails
    with pytest.raises(OSError, match="No space left"):
        save_torch_atomic(path, {"w": torch.zeros(10_000), "later": _FailsToPickle()})
    assert torch.equal(torch.load(path, weights_only=True)["w"], torch.arange(4.0))
    assert [p.name for p in tmp_path.iterdir()] == ["target.pt"]


def test_npy_and_figures_are_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_npy_atomic(tmp_path / "gw.npy", np.eye(3))
    assert np.array_equal(np.load(tmp_path / "gw.npy"), np.eye(3))
    fig = Figure()  # no pyplot: no GUI backend needed
    fig.add_subplot().plot([0, 1], [1, 0])
    save_figure_atomic(tmp_path / "plot.png", fig, dpi=50)
    good_png = (tmp_path / "plot.png").read_bytes()
    assert good_png.startswith(b"\x89PNG")
    monkeypatch.setattr(os, "fsync", _disk_full)
    with pytest.raises(OSError):
        save_figure_atomic(tmp_path / "plot.png", fig, dpi=80)
    with pytest.raises(OSError):
        save_npy_atomic(tmp_path / "gw.npy", np.zeros(5))
    assert (tmp_path / "plot.png").read_bytes() == good_png
    assert np.array_equal(np.load(tmp_path / "gw.npy"), np.eye(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gw.npy", "plot.png"]


def test_a_missing_folder_is_an_error_not_a_write_elsewhere(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_text_atomic(tmp_path / "absent" / "x.json", "{}")
    assert list(tmp_path.iterdir()) == []
