"""Unwritable output folders stop a run before any work, with one line naming the folder."""

import errno
import os
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from subnetlab.cli.output_folders import (
    OutputFolderError,
    check_command_line_folders,
    literal_folder,
    require_writable_folder,
)
from subnetlab.cli.run_dir import run_id, sweep_id


def test_a_writable_folder_is_created_and_left_clean(tmp_path: Path) -> None:
    folder = tmp_path / "outputs" / "runs"
    require_writable_folder(folder, "paths.output_dir")
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [(errno.EROFS, "Read-only file system"), (errno.EACCES, "Permission denied")],
)
def test_a_read_only_or_forbidden_folder_is_named_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, reason: str
) -> None:
    # root writes through chmod, so the file system's refusal is simulated where it happens
    real_open = os.open

    def refusing_open(path: str, flags: int, mode: int = 0o777) -> int:
        if Path(path).parent == tmp_path and flags & os.O_CREAT:
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(OutputFolderError) as info:
        require_writable_folder(tmp_path, "hydra.run.dir")
    assert str(info.value) == (
        f"cannot write to the folder {tmp_path}: {reason}; choose a writable one with "
        "hydra.run.dir=..."
    )


def test_a_file_in_the_way_is_named(tmp_path: Path) -> None:
    (tmp_path / "outputs").write_text("a file")
    with pytest.raises(OutputFolderError, match=r"Not a directory|File exists"):
        require_writable_folder(tmp_path / "outputs" / "runs", "paths.output_dir")


def test_the_resolvers_exit_with_status_2_and_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as info:
        run_id(str(blocker / "outputs"))
    assert info.value.code == 2
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"error: cannot write to the folder {blocker}/outputs/runs: ")
    assert line.endswith("paths.output_dir=...")
    root = OmegaConf.create({"paths": {"output_dir": str(blocker / "outputs")}})
    with pytest.raises(SystemExit):
        sweep_id(["seed=0,1"], root)
    assert f"{blocker}/outputs/multiruns" in capsys.readouterr().out
    root = OmegaConf.create({"paths": {"output_dir": str(tmp_path / "ok")}})
    assert sweep_id(["seed=0,1"], root) == "seed=0,1"


def test_command_line_folders_are_checked_up_to_their_first_interpolation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert literal_folder("/data/runs/${now:%H}") == Path("/data/runs")
    assert literal_folder("/data/run_${seed}") == Path("/data")
    assert literal_folder("${paths.output_dir}/x") is None
    check_command_line_folders(["seed=1", f"hydra.run.dir={tmp_path}/new/deep", "-m"])
    assert not (tmp_path / "new").exists()  # checked, not created: Hydra creates it
    (tmp_path / "file").write_text("x")
    with pytest.raises(SystemExit) as info:
        check_command_line_folders([f"hydra.sweep.dir={tmp_path}/file/sweeps"])
    assert info.value.code == 2
    (line,) = capsys.readouterr().out.splitlines()
    assert line == (
        f"error: cannot create the folder {tmp_path}/file/sweeps (hydra.sweep.dir): "
        f"{tmp_path}/file is not a folder"
    )
