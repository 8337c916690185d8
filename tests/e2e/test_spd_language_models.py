"""SPD of language models through the real CLI: the char-LM experiment (shortened) and local
Hugging Face folders of both layouts (GPT-2 Conv1D, Llama Linear)."""

import html.parser
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

LM_KEYS = {"ce/target", "ce/unmasked", "ce/stochastic", "ce/ci_rounded"} | {
    "kl/unmasked",
    "kl/stochastic",
    "kl/ci_rounded",
}


def test_spd_char_lm_reports_ce_kl_l0_alive_and_writes_the_component_page(tmp_path: Path) -> None:
    overrides = [
        "experiment=spd_char_lm",
        "model.recipe.steps=40",
        "method.steps=6",
        "method.faithfulness_warmup_steps=300",
        "method.pgd.eval_steps=2",
        "'method.modules=[{pattern:\"blocks.*.mlp.*\",C:64}]'",
        "dataset.eval_size=24",
        "trainer.progress_bar=false",
        f"paths.output_dir={tmp_path}",
    ]
    proc = run_cli([o.strip("'") for o in overrides], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok"
    assert LM_KEYS | {"kl/pgd"} <= set(metrics)
    modules = [f"blocks.{i}.mlp.{j}" for i in (0, 1) for j in (0, 2)]
    for module in modules:
        assert 1 <= metrics[f"alive/{module}"] <= 64
        assert 0 < metrics[f"ci_l0/{module}"] <= 64
    # C = 64 ≥ each matrix's rank, so after the warm-up Σ U V ≈ W: unmasked CE = the target's
    assert abs(metrics["ce/unmasked"] - metrics["ce/target"]) < 0.01
    assert metrics["kl/pgd"] >= metrics["kl/stochastic"] - 1e-6  # the attack finds worse masks
    page = (run_dir / "components.html").read_text()
    html.parser.HTMLParser().feed(page)
    assert all(module in page for module in modules) and 'type="search"' in page
    assert {p.stem for p in (run_dir / "figures").glob("*.png")} == {
        "ci_l0_and_alive",
        "reconstruction_by_mask",
        "subcomponent_norms",
    }


@pytest.mark.parametrize(
    ("fixture", "pattern", "module"),
    [
        ("tiny_gpt2", "transformer.h.*.mlp.c_fc", "transformer.h.1.mlp.c_fc"),
        ("tiny_llama", "model.layers.*.mlp.down_proj", "model.layers.1.mlp.down_proj"),
    ],
)
def test_a_hugging_face_folder_decomposes_by_its_own_module_names(
    fixture: str, pattern: str, module: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    folder = request.getfixturevalue(fixture)
    overrides = [
        "experiment=spd_hf",
        f"target.hf_path={folder}",
        "dataset.probe=random_tokens",
        "dataset.eval_size=8",
        f"method.modules=[{{pattern:{pattern},C:6}}]",
        "method.steps=3",
        "method.faithfulness_warmup_steps=5",
        "trainer.progress_bar=false",
        f"paths.output_dir={tmp_path}",
    ]
    proc = run_cli(overrides, tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs").iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "ok" and LM_KEYS <= set(metrics)
    assert f"alive/{module}" in metrics and metrics[f"alive/{module}"] <= 6
    assert (run_dir / "components.html").is_file()


def test_patterns_matching_no_module_of_a_folder_name_its_modules(
    tiny_llama: Path, tmp_path: Path
) -> None:
    overrides = [
        "experiment=spd_hf",
        f"target.hf_path={tiny_llama}",
        "dataset.probe=random_tokens",
        "method.modules=[{pattern:h.*.mlp.c_fc,C:6}]",
        f"paths.output_dir={tmp_path}",
    ]
    proc = run_cli(overrides, tmp_path)
    assert proc.returncode == 2
    (message,) = [line for line in (proc.stdout + proc.stderr).splitlines() if "error:" in line]
    assert "method.modules" in message and "model.layers.0.mlp.up_proj" in message
