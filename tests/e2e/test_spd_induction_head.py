"""Acceptance of ``experiment=spd_induction_head``: on the run's saved decomposition, the
previous-token and induction mechanisms land in disjoint subcomponents, by the criterion of
``subnetlab.methods.spd.induction`` (its module docstring states it: a subcomponent carries the
induction mechanism when its mean CI where induction applies is ≥ 0.1 and ≥ 2× its mean CI
elsewhere and most of its mass lies in induction heads; it carries the previous-token mechanism
when its mean CI elsewhere is ≥ 0.1 and most of its mass lies in previous-token heads; both sets
must be non-empty and disjoint)."""

import json
from pathlib import Path

import pytest
import torch

import subnetlab
from subnetlab.analysis.induction_heads import induction_scores, previous_token_scores
from subnetlab.methods.spd.induction import InductionEvidenceSource, mechanism_evidence
from tests.conftest import run_cli


@pytest.mark.slow
def test_previous_token_and_induction_mechanisms_land_in_disjoint_subcomponents(
    tmp_path: Path,
) -> None:
    # shortened from the experiment's 5000 steps (its run passes from step 500 on)
    overrides = [
        "experiment=spd_induction_head",
        "method.steps=1000",
        "method.eval_every=1000",
        "trainer.progress_bar=false",
        f"paths.output_dir={tmp_path}",
    ]
    proc = run_cli(overrides, tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    run = subnetlab.load_run(run_dir)
    assert run.metrics["status"] == "ok" and run.module is not None
    dec = run.module.decomposition
    tokens = run.module.datamodule.eval_batch()
    names = [n for n in dec.names if ".attn." in n]
    assert len(names) == 8  # q, k, v, o of both layers
    with torch.no_grad():
        ci = {n: v for n, v in dec.ci_of_inputs(tokens).value.items() if n in names}
    source = InductionEvidenceSource(
        tokens=tokens,
        causal_importance=ci,
        factors={n: tuple(t.detach() for t in dec.vu(n)) for n in names},
        previous_token_scores=previous_token_scores(run.target, tokens),
        induction_scores=induction_scores(run.target, tokens),
        n_heads=run.target.n_heads,
    )
    split = mechanism_evidence(source)
    assert split.previous_token and split.induction and not split.overlap
    # previous-token subcomponents sit in layer 0, induction ones in layer 1's query/output side
    assert {name.split(".")[1] for name, _ in split.previous_token} == {"0"}
    assert {name for name, _ in split.induction} <= {"blocks.1.attn.q", "blocks.1.attn.o"}
    # the run recorded the same verdict
    recorded = json.loads((run_dir / "mechanisms.json").read_text())
    assert recorded["passed"] and run.metrics["mechanisms/passed"] == 1.0
    assert len(recorded["induction"]) == len(split.induction)
    # the decomposition reproduces the target: CI-rounded masks cost little cross-entropy
    assert run.metrics["ce/ci_rounded"] - run.metrics["ce/target"] < 0.05
