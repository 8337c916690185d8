from datetime import datetime
from pathlib import Path

from subnetlab.cli.run_dir import command_overrides, find_resumable, new_run_name, wants_resume


def _make_run(runs: Path, name: str, overrides: list[str]) -> Path:
    folder = runs / name / ".hydra"
    folder.mkdir(parents=True)
    (folder / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    return runs / name


def test_resume_finds_newest_run_with_the_same_overrides(tmp_path: Path) -> None:
    _make_run(tmp_path, "2026-01-01_00-00-00", ["seed=1"])
    wanted = _make_run(tmp_path, "2026-01-02_00-00-00", ["seed=1", "resume=true"])
    _make_run(tmp_path, "2026-01-03_00-00-00", ["seed=2"])
    argv = ["seed=1", "resume=true"]
    assert wants_resume(argv) and not wants_resume(["seed=1"])
    assert command_overrides(argv) == ["seed=1"]
    assert find_resumable(tmp_path, command_overrides(argv)) == wanted
    assert find_resumable(tmp_path, ["seed=9"]) is None


def test_new_run_names_never_collide(tmp_path: Path) -> None:
    now = datetime(2026, 5, 4, 3, 2, 1)
    first = new_run_name(tmp_path, now)
    (tmp_path / first).mkdir()
    second = new_run_name(tmp_path, now)
    assert first == "2026-05-04_03-02-01" and second == "2026-05-04_03-02-01_2"
