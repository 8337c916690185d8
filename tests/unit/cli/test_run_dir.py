from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from subnetlab.cli.run_dir import (
    command_overrides,
    find_resumable,
    job_name,
    new_run_name,
    sweep_name,
    wants_resume,
)


def _make_run(runs: Path, name: str, overrides: list[str], checkpoint: bool = True) -> Path:
    folder = runs / name / ".hydra"
    folder.mkdir(parents=True)
    (folder / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if checkpoint:
        (runs / name / "checkpoints").mkdir()
        (runs / name / "checkpoints" / "last.ckpt").write_bytes(b"checkpoint")
    return runs / name


def test_resume_finds_newest_run_with_the_same_overrides(tmp_path: Path) -> None:
    _make_run(tmp_path, "2026-01-01_00-00-00", ["seed=1"])
    wanted = _make_run(tmp_path, "2026-01-02_00-00-00", ["seed=1", "resume=true"])
    _make_run(tmp_path, "2026-01-03_00-00-00", ["seed=2"])
    # a newer attempt of the same command killed before its first checkpoint is passed over
    _make_run(tmp_path, "2026-01-04_00-00-00", ["seed=1"], checkpoint=False)
    argv = ["seed=1", "resume=true"]
    assert wants_resume(argv) and not wants_resume(["seed=1"])
    assert command_overrides(argv) == ["seed=1"]
    assert find_resumable(tmp_path, command_overrides(argv)) == wanted
    assert find_resumable(tmp_path, ["seed=9"]) is None


def test_new_run_names_never_collide(tmp_path: Path) -> None:
    now = datetime(2026, 5, 4, 3, 2, 1)
    first = new_run_name(tmp_path, now)
    second = new_run_name(tmp_path, now)
    assert first == "2026-05-04_03-02-01" and second == "2026-05-04_03-02-01_2"
    assert (tmp_path / first).is_dir() and (tmp_path / second).is_dir()  # made, not just named


def test_runs_started_at_once_get_their_own_folders(tmp_path: Path) -> None:
    now = datetime(2026, 5, 4, 3, 2, 1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        names = list(pool.map(lambda _: new_run_name(tmp_path, now), range(16)))
    assert len(set(names)) == 16


def test_sweep_name_ignores_order_and_launcher_and_stays_short() -> None:
    command = ["experiment=spd_tms_5_2", "seed=0,1,2"]
    same = ["seed=0,1,2", "hydra/launcher=parallel", "experiment=spd_tms_5_2"]
    assert sweep_name(command) == sweep_name(same) == "experiment=spd_tms_5_2,seed=0,1,2"
    assert sweep_name(command) != sweep_name(["experiment=spd_tms_5_2", "seed=0,1"])
    long = [f"method.coeffs.term_{i}=0.{i}" for i in range(20)]
    name = sweep_name(long)
    assert len(name) <= 120 and name != sweep_name(long[:-1])
    assert sweep_name([]) == "defaults" and "/" not in sweep_name(["hydra/launcher=x", "a=b/c"])


def test_job_name_keeps_only_what_the_sweep_varies() -> None:
    command = [
        "experiment=spd_tms_5_2",
        "seed=0,1",
        "paths.output_dir=/tmp/x",
        "resume=true",
        "trainer.progress_bar=false",
        "method.steps=range(1,3)",
    ]
    job = [
        "experiment=spd_tms_5_2",
        "seed=1",
        "paths.output_dir=/tmp/x",
        "method.lr=0.01",
        "trainer.progress_bar=False",
        "method.steps=2",
    ]  # Hydra normalises false → False
    assert job_name(job, command) == "method.lr=0.01,method.steps=2,seed=1"
    assert job_name(["experiment=spd_tms_5_2"], command) == "job"


def test_job_names_are_one_to_one_with_the_overrides() -> None:
    command = ["target.ckpt=outputs/runs/a,outputs/runs/b"]
    a = job_name(["target.ckpt=outputs/runs/a"], command)
    b = job_name(["target.ckpt=outputs/runs/b"], command)
    assert a != b and a.startswith("target.ckpt=outputs-runs-a")
    patterns = ["method.modules=[a*],method.modules=[a?]"]
    star = job_name(["method.modules=[a*]"], patterns)
    question = job_name(["method.modules=[a?]"], patterns)
    assert star != question and "/" not in star + question
    assert job_name(["seed=1"], ["seed=0,1"]) == "seed=1"  # safe names stay readable
