"""Every command in the README's ``bash`` blocks works as written.

Each ``python run.py ...``, ``make ...``, ``scripts/...`` and ``tensorboard`` line is listed in
``PLAN`` with how it is checked; a README command missing from ``PLAN`` (or a stale entry) fails
``test_every_readme_command_has_a_check``. The commands run in one temporary folder (the
README's ``outputs/...`` paths are relative to it), with overrides appended that only shorten
them (``trainer.max_steps``, probe and evaluation sizes): the commands themselves are unchanged.
Placeholders (``<run>``, ``<sweep>``, ``/path/to/hf_folder``, ``weights.pt``) become what the
README says they are: the folder an earlier README command wrote, a tiny random GPT-2 saved with
``save_pretrained`` (the ``tiny_gpt2`` fixture), the user's files.

Commands that are long by nature (the sweeps and studies of many jobs, the whole test suite)
are validated instead of run: each job of the sweep composes and passes the runner's checks made
before any work (``validate_run_config``, the method's capability and option checks), and a
``make`` target's recipe is read with ``make -n``. Commands needing files the repository cannot
ship (MNIST) are validated the same way.
"""

from __future__ import annotations

import itertools
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import IntervalSweep, Override
from tensorboard.backend.event_processing import plugin_event_multiplexer

from subnetlab.lifecycle.runner import check_method_fits_model, method_class
from subnetlab.schemas.run import validate_run_config
from subnetlab.sweeps.ground_truth_study import SETTINGS as TRUTH_SETTINGS
from subnetlab.sweeps.ground_truth_study import setting_command as truth_command
from subnetlab.sweeps.robustness_study import STUDY, sweep_command
from subnetlab.sweeps.seed_study import SETTINGS, setting_command
from tests.conftest import CONF, REPO, compose_raw, run_cli
from tests.unit.methods.circuit.test_analysis import save_planted_files

README = REPO / "README.md"
INTERPRETERS = ("python", ".venv/bin/python")

#: shortens a run to a few optimiser steps (targets trained on the fly included)
STEPS = ("trainer.max_steps=3",)
#: GW's probe set: N² distances per layer
PROBES = ("method.probe_size=40",)
#: the tiny GPT-2 of the tests has no tokenizer: its probe windows are random token ids
NO_TOKENIZER = ("dataset.probe=random_tokens",)


@dataclass(frozen=True)
class Run:
    """Run the command with ``extra`` appended; ``expect`` is ``ok`` (exit 0, every run folder
    it wrote says ``status: ok``), ``output:<text>`` (exit 0 and ``text`` printed) or
    ``error:<text>`` (a one-line error holding ``text``, exit 2)."""

    extra: tuple[str, ...] = ()
    expect: str = "ok"


@dataclass(frozen=True)
class Validate:
    """Compose every job of the command and pass the runner's checks made before work."""

    why: str


@dataclass(frozen=True)
class Help:
    """Run the script with ``--help`` only: ``why`` it cannot run here."""

    why: str


@dataclass(frozen=True)
class MakeRecipe:
    """Read the make target's recipe (``make -n``) and validate what it runs."""

    why: str


Check = Run | Validate | Help | MakeRecipe

PLAN: dict[str, Check] = {
    "make run": Run(STEPS),
    "make test": MakeRecipe("the whole test suite, this test included"),
    "run.py --help": Run(expect="output:Usage: python run.py"),
    "run.py method=bimt model=mlp --help": Run(expect="output:method.train_type"),
    "run.py --cfg job experiment=spd_tms_5_2": Run(expect="output:steps: 40000"),
    "run.py method=spd model=tms": Run(STEPS),
    "run.py experiment=spd_tms_5_2 seed=3": Run(STEPS),
    "run.py experiment=spd_resid_mlp1": Run((*STEPS, "dataset.eval_size=256")),
    "run.py method=train model=tms_40_10": Run(STEPS),
    "run.py experiment=spd_tms_40_10 target.ckpt=outputs/runs/<run>": Run(STEPS),
    "run.py experiment=bimt_independence method.train_type=l1": Run(STEPS),
    "run.py -m experiment=spd_tms_5_2 seed=0,1,2,3,4": Run(STEPS),
    "run.py experiment=spd_tms_5_2 resume=true": Run(STEPS),
    "tensorboard --logdir outputs": Run(),
    "run.py experiment=spd_char_lm": Run(
        (*STEPS, "method.faithfulness_warmup_steps=5", "dataset.eval_size=16")
    ),
    'run.py experiment=spd_char_lm method.modules=[{pattern:"blocks.*.mlp.*",C:256},'
    '{pattern:"blocks.*.attn.*",C:128}]': Run(
        (*STEPS, "method.faithfulness_warmup_steps=5", "dataset.eval_size=16")
    ),
    "run.py experiment=spd_induction_head": Run(
        (*STEPS, "method.faithfulness_warmup_steps=5", "dataset.eval_size=16")
    ),
    "run.py experiment=spd_hf target.hf_path=/path/to/save_pretrained/folder": Run(
        (*STEPS, *NO_TOKENIZER, "method.faithfulness_warmup_steps=5", "dataset.eval_size=8")
    ),
    "run.py experiment=bimt_independence seed=0": Run(STEPS),
    "run.py experiment=circuit_independence target.ckpt=outputs/runs/<that run>": Run(
        ("method.probe_size=20",)
    ),
    "run.py -m experiment=circuit_study study.train.train_type=vanilla,l1,bimt seed=0,1,2": (
        Validate("9 jobs, each training a BIMT network and discovering its circuits")
    ),
    "run.py -m experiment=circuit_study_modular_addition "
    "study.train.train_type=vanilla,l1,bimt seed=0,1,2": Validate("9 study jobs, as above"),
    "run.py -m experiment=circuit_study_mnist study.train.train_type=vanilla,l1,bimt "
    "seed=0,1,2": Validate("9 study jobs on MNIST, whose files the repository does not ship"),
    "scripts/summarize_circuit_study.py outputs/multiruns/<sweep>": Help(
        "its input is a circuit-study sweep (validated above, not run)"
    ),
    "run.py method=circuit model=mlp model.widths=[6,8,8,2] model.activation=relu "
    "target.ckpt=weights.pt dataset=tensors dataset.path=inputs.pt "
    "method.truth_file=truth.pt": Run(),
    "run.py experiment=gw_modular_addition": Run((*STEPS, *PROBES)),
    "run.py experiment=gw_compression": Run((*STEPS, *PROBES, "study.random_draws=2")),
    "run.py experiment=gw_char_lm": Run((*STEPS, *PROBES)),
    "run.py experiment=gw_seed_identification": Run((*STEPS, *PROBES)),
    "run.py experiment=gw_seed_identification model=transformer dataset=modular_addition_seq": Run(
        (*STEPS, *PROBES)
    ),
    "run.py method=gw model=mlp_digits": Run((*STEPS, *PROBES)),
    "run.py experiment=gw_hf target.hf_path=/path/to/hf_folder": Run((*PROBES, *NO_TOKENIZER)),
    "run.py experiment=gw_planted": Run(),
    "run.py experiment=gw_planted model.n_families=4 seed=1": Run(),
    "run.py method=gw model=planted_families model.family_sizes=[3,3,2]": Run(PROBES),
    "run.py method=gw model=mlp model.widths=[784,100,100,10] dataset=mnist_images "
    "method.modules=[linears.*] target.ckpt=<an MNIST MLP run>": Validate(
        "needs MNIST files and a model trained on them"
    ),
    "run.py -m experiment=spd_tms_5_2 sweep=spd_robustness": Validate("15 jobs of 40k steps"),
    "run.py -m experiment=apd_tms_5_2 sweep=apd_robustness": Validate("15 jobs of 20k steps"),
    "run.py -m experiment=spd_tms_5_2 sweep=spd_optuna hydra.sweeper.n_trials=30": Validate(
        "30 trials (each interval's ends validated)"
    ),
    "run.py -m hydra/launcher=parallel seed=0,1,2,3": Validate(
        "4 jobs in joblib workers; tests/e2e/test_sweeps.py runs this launcher"
    ),
    "run.py -m hydra/launcher=slurm hydra.launcher.partition=gpu trainer=gpu seed=0,1": Run(
        expect="error:SLURM was not found"
    ),
    "scripts/summarize_sweep.py outputs/multiruns/<sweep> --criterion spd_tms": Run(),
    "make study": MakeRecipe("two sweeps of 9 jobs of 8k-11k steps"),
    "make seeds": MakeRecipe("70 SPD runs of the paper's toys"),
    "scripts/seed_study.py --only default,spd_tms_5_2": Help("40 SPD runs of 1-2 minutes"),
    "scripts/seed_study.py --summarize-only": Run(expect="output:# SPD success over seeds"),
    "run.py -m sweep=spd_seeds hydra/launcher=parallel": Validate("20 runs of the default"),
    "make truth": MakeRecipe("every method's planted-truth sweeps"),
    "scripts/ground_truth_study.py --reduced": Run(
        expect="output:# Every method against planted ground truth (reduced form"
    ),
    "scripts/ground_truth_study.py --only circuit_acdc,gw_planted_3": Help(
        "10 runs of seconds; the reduced form above runs every setting"
    ),
    "run.py experiment=circuit_planted": Run(),
    "run.py -m experiment=circuit_planted method.algorithm=acdc,eap_ig seed=0,1,2,3,4": Validate(
        "10 discoveries of a few seconds; make truth runs them"
    ),
    "run.py experiment=circuit_planted model.constant_units=4 model.leak=0.05 "
    "model.widths=[8,24,24,2]": Run(),
}

#: what metrics.json says the run worked on: the model option, not the family; a folder's type
RECORDED = {
    "run.py method=train model=tms_40_10": {"model": "tms_40_10"},
    "run.py experiment=spd_tms_40_10 target.ckpt=outputs/runs/<run>": {"model": "tms_40_10"},
    "run.py experiment=spd_hf target.hf_path=/path/to/save_pretrained/folder": {"model": "hf:gpt2"},
}

#: placeholder → the README command whose output it names
PRODUCED_BY = {
    "outputs/runs/<run>": "run.py method=train model=tms_40_10",
    "outputs/runs/<that run>": "run.py experiment=bimt_independence seed=0",
    "outputs/multiruns/<sweep>": "run.py -m experiment=spd_tms_5_2 seed=0,1,2,3,4",
}
HF_FOLDERS = ("/path/to/save_pretrained/folder", "/path/to/hf_folder")
#: placeholders of validated commands: any path (validation reads no file)
UNREAD = {"<an MNIST MLP run>": "outputs/runs/mnist_mlp"}
#: what ``resume=true`` continues: the same command without it (run first)
RESUMED_FROM = {"run.py experiment=spd_tms_5_2 resume=true": [["experiment=spd_tms_5_2"]]}


def readme_commands(text: str) -> list[str]:
    """The commands of ``text``'s ```` ```bash ```` blocks, continuation lines joined, comments
    and the interpreter dropped, each as its shell words joined by single spaces."""
    commands, in_block, pending = [], False, ""
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = line.strip() == "```bash"
            continue
        if not in_block:
            continue
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        words = shlex.split(pending, comments=True)
        pending = ""
        if words and words[0] in INTERPRETERS:
            words = words[1:]
        if words:
            commands.append(" ".join(words))
    return commands


COMMANDS = readme_commands(README.read_text())


FOLDER = "run folder: "


def printed_folders(words: list[str], stdout: str) -> list[Path]:
    """The run folders a command printed (``run folder: PATH``); a sweep's: its folder."""
    runs = {Path(line.split(": ", 1)[1]) for line in stdout.splitlines() if line.startswith(FOLDER)}
    return sorted({run.parent for run in runs} if "-m" in words else runs)


class Workspace:
    """The folder the README's commands run in (``outputs/`` below it), and what each wrote.

    Each command runs once, in the test that checks it or earlier: as a placeholder's producer,
    or on the one background thread that runs the commands from the end of the README while the
    tests go through it from the start (two processes at a time: the time of the CI's 2 cores).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.stamp = root / "installed.stamp"  # make: the environment counts as installed
        self.stamp.touch()
        self.results: dict[str, tuple[subprocess.CompletedProcess[str], list[Path]]] = {}
        self.errors: dict[str, BaseException] = {}
        self._claimed: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def prefetch(self, selected: list[str]) -> None:
        """Start the background thread on the ``selected`` commands that need no fixture."""
        background = [
            command
            for command in reversed(selected)
            if isinstance(PLAN[command], Run)
            and not command.startswith("tensorboard")
            and not any(folder in command for folder in HF_FOLDERS)
        ]

        def work() -> None:
            for command in background:
                if self._stopping.is_set():
                    return
                try:
                    self.ensure(command, None)
                except BaseException:  # noqa: BLE001 - kept in self.errors for its own test
                    pass

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Start no further command and wait for the running one (no process outlives us)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def ensure(
        self, command: str, request: pytest.FixtureRequest | None
    ) -> tuple[subprocess.CompletedProcess[str], list[Path]]:
        """Run the README ``command`` once (its placeholders filled, its ``Run.extra``
        appended), or wait for the thread running it; its process and the run or sweep folders
        it printed."""
        with self._lock:
            done = self._claimed.get(command)
            mine = done is None
            if done is None:
                done = self._claimed[command] = threading.Event()
        if mine:
            try:
                self.results[command] = self._run(command, request)
            except BaseException as err:
                self.errors[command] = err
                raise
            finally:
                done.set()
        done.wait()
        if command in self.errors:
            raise AssertionError(f"{command!r} failed") from self.errors[command]
        return self.results[command]

    def _run(
        self, command: str, request: pytest.FixtureRequest | None
    ) -> tuple[subprocess.CompletedProcess[str], list[Path]]:
        check = PLAN[command]
        assert isinstance(check, Run)
        continued: list[Path] = []
        for earlier in RESUMED_FROM.get(command, []):
            proc = run_cli([*earlier, *check.extra], self.root)
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            continued += printed_folders(earlier, proc.stdout)
        words = shlex.split(self.fill(command, request))
        if "target.ckpt=weights.pt" in words:  # the user's files, as the README says
            save_planted_files(self.root)
        proc = self.execute(words, check.extra)
        folders = printed_folders(words, proc.stdout)
        if continued:  # resume=true continues the earlier folder instead of making one
            assert folders == continued, f"resume=true ran in {folders}, not in {continued}"
        return proc, folders

    def fill(self, command: str, request: pytest.FixtureRequest | None) -> str:
        """``command`` with each placeholder replaced by what it stands for."""
        for placeholder, producer in PRODUCED_BY.items():
            if placeholder in command:
                proc, folders = self.ensure(producer, request)
                assert proc.returncode == 0 and len(folders) == 1, proc.stderr[-3000:]
                command = command.replace(placeholder, shlex.quote(str(folders[0])))
        for placeholder in HF_FOLDERS:
            if placeholder in command:
                assert request is not None, "a fixture is only had in the command's own test"
                folder = str(request.getfixturevalue("tiny_gpt2"))
                command = command.replace(placeholder, shlex.quote(folder))
        return command

    def execute(self, words: list[str], extra: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        path = os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])
        env = {**os.environ, "PYTHONPATH": path}
        match words[0]:
            case "run.py":
                return run_cli([*words[1:], *extra], self.root)
            case "make":
                args = " ".join([*extra, f"paths.output_dir={self.root / 'outputs'}"])
                argv = ["make", "-C", str(REPO), *words[1:], f"PY={sys.executable}"]
                argv += [f"STAMP={self.stamp}", f"DEV_STAMP={self.stamp}", f"ARGS={args}"]
            case "tensorboard":
                raise AssertionError("tensorboard starts a server: see test_readme_command")
            case _:
                argv = [sys.executable, str(REPO / words[0]), *words[1:], *extra]
        return subprocess.run(
            argv, capture_output=True, text=True, cwd=self.root, env=env, timeout=600
        )


@pytest.fixture(scope="module")
def workspace(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    workspace = Workspace(tmp_path_factory.mktemp("readme"))
    selected = [  # the commands of this session's tests (all, unless -k picks some)
        item.callspec.params["command"]
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    ]
    workspace.prefetch(selected)
    yield workspace
    workspace.stop()


def test_every_readme_command_has_a_check() -> None:
    assert len(COMMANDS) == len(set(COMMANDS)), "a README command appears twice"
    assert set(COMMANDS) == set(PLAN), (
        f"README commands without a check: {sorted(set(COMMANDS) - set(PLAN))}; "
        f"checks of commands the README no longer shows: {sorted(set(PLAN) - set(COMMANDS))}"
    )


def _sweep_axes(override: Override) -> list[str]:
    """The values a sweep override takes (an interval: its two ends)."""
    key = override.get_key_element()
    value = override.value()
    if isinstance(value, IntervalSweep):
        return [f"{key}={value.start}", f"{key}={value.end}"]
    return [f"{key}={v}" for v in override.sweep_string_iterator()]


def validate_jobs(args: list[str]) -> int:
    """Compose each job of the command line ``args`` (a sweep's values and its ``sweep=``
    preset's ``hydra.sweeper.params`` expanded) and pass it through the runner's checks before
    work; returns the number of jobs. Raises what ``python run.py`` would report."""
    parser = OverridesParser.create()
    parsed = parser.parse_overrides([a for a in args if a not in ("-m", "--multirun")])
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        hydra_side = compose(config_name="config", overrides=fixed, return_hydra_config=True)
    preset = hydra_side.hydra.sweeper.get("params") or {}
    given = {o.get_key_element() for o in parsed}  # the command line wins over the preset
    swept = [o for o in parsed if o.is_sweep_override()]
    swept += parser.parse_overrides([f"{k}={v}" for k, v in preset.items() if k not in given])
    job_fixed = [o for o in fixed if not o.lstrip("+~").startswith("hydra")]
    jobs = list(itertools.product(*(_sweep_axes(o) for o in swept)))
    for job in jobs:
        raw = compose_raw([*job_fixed, *job])
        check_method_fits_model(method_class(raw), validate_run_config(raw))
    return len(jobs)


def _records(folders: list[Path]) -> list[dict[str, Any]]:
    """The metrics.json of each run folder and of each job of a sweep folder."""
    records = []
    for folder in folders:
        for path in [folder / "metrics.json", *folder.glob("*/metrics.json")]:
            if path.is_file():
                records.append(json.loads(path.read_text()))
    return records


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS)
def test_readme_command(command: str, workspace: Workspace, request: pytest.FixtureRequest) -> None:
    check = PLAN[command]
    for placeholder, path in UNREAD.items():
        command = command.replace(placeholder, path)
    words = shlex.split(command)
    if isinstance(check, Validate):
        assert validate_jobs(words[1:]) >= 1
        return
    if isinstance(check, Help):
        proc = workspace.execute([words[0], "--help"], ())
        assert proc.returncode == 0 and "usage:" in proc.stdout, proc.stderr
        return
    if isinstance(check, MakeRecipe):
        proc = subprocess.run(
            ["make", "-n", "-C", str(REPO), words[1], f"PY={sys.executable}"]
            + [f"STAMP={workspace.stamp}", f"DEV_STAMP={workspace.stamp}"],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
        if words[1] == "test":
            assert f"{sys.executable} -m pytest" in proc.stdout
        elif words[1] == "seeds":  # one seed sweep per setting, by scripts/seed_study.py
            assert f"{sys.executable} scripts/seed_study.py" in proc.stdout
            for setting in SETTINGS:
                launched = setting_command(setting, Path(setting.name), -1)
                assert validate_jobs(launched[2:]) == setting.seeds
        elif words[1] == "truth":  # one sweep per setting, by scripts/ground_truth_study.py
            assert f"{sys.executable} scripts/ground_truth_study.py" in proc.stdout
            for truth in TRUTH_SETTINGS:
                for reduced in (False, True):
                    launched = truth_command(truth, Path(truth.name), -1, reduced)
                    assert validate_jobs(launched[2:]) == (1 if reduced else truth.seeds)
        else:  # the study: two sweeps launched by scripts/robustness_study.py
            assert f"{sys.executable} scripts/robustness_study.py" in proc.stdout
            for folder, experiment, preset in STUDY:
                launched = sweep_command(experiment, preset, Path(folder), "0,1,2", -1)
                assert validate_jobs(launched[2:]) == 9
        return
    if words[0] == "tensorboard":  # the runs it lists are named after what they ran
        workspace.ensure("run.py method=spd model=tms", request)
        multiplexer = plugin_event_multiplexer.EventMultiplexer()
        multiplexer.AddRunsFromDirectory(str(workspace.root / words[2]))
        names = [name.split(os.sep)[-1] for name in multiplexer.Runs()]
        assert "spd_tms,trainer.max_steps=3" in names, names
        return
    proc, folders = workspace.ensure(command, request)
    output = proc.stdout + proc.stderr
    if check.expect.startswith("error:"):
        assert proc.returncode == 2, output[-3000:]
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and check.expect[len("error:") :] in lines[0], lines
        if shutil.which("srun") is None:  # the same jobs composed for the local launcher
            assert validate_jobs(words[1:]) == 2
        return
    assert proc.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    if check.expect.startswith("output:"):
        assert check.expect[len("output:") :] in output
        return
    records = _records(folders)
    if words[0] in ("run.py", "make"):
        assert records, f"no run folder written: {output[-2000:]}"
        assert "final metrics (ok)" in proc.stdout
    assert all(record["status"] == "ok" for record in records), records
    for key, value in RECORDED.get(command, {}).items():
        assert [record[key] for record in records] == [value]
