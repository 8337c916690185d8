import pytest
import torch

from subnetlab.models.tms import TMS
from subnetlab.schemas.datasets import SparseFeaturesSchema
from subnetlab.schemas.models import TMSRecipe, TMSSchema
from subnetlab.training.recipe import build_recipe
from subnetlab.training.tms_training import (
    TMSCandidates,
    TMSTraining,
    TMSTrainingError,
    features_reconstructed,
)
from tests.unit.training.plain_loop import train_plainly


def _recipe(steps: int, seed: int = 0) -> TMSTraining:
    cfg = TMSSchema(recipe=TMSRecipe(steps=steps, batch_size=512, n_candidates=4))
    recipe = build_recipe(cfg, SparseFeaturesSchema(), seed)
    assert isinstance(recipe, TMSTraining)
    return recipe


def test_features_reconstructed_counts_probe_diagonals_within_tolerance() -> None:
    probe = torch.diag(torch.tensor([0.75, 0.6, 0.0, 0.9]))
    assert int(features_reconstructed(probe, 0.2)) == 3  # 0.0 is a dead feature
    assert int(features_reconstructed(probe, 0.1)) == 1


def test_each_candidate_is_a_tms_model() -> None:
    gen = torch.Generator().manual_seed(0)
    candidates = TMSCandidates(
        torch.randn(3, 2, 5, generator=gen), torch.randn(3, 5, generator=gen)
    )
    x = torch.rand(7, 5, generator=gen)
    out = candidates(x)
    for i in range(3):
        single = TMS(5, 2)
        with torch.no_grad():
            single.linear1.weight.copy_(candidates.W[i])
            single.linear2_bias.copy_(candidates.b[i])
        torch.testing.assert_close(out[:, i], single(x))


def test_the_data_generator_continues_after_the_initial_weights() -> None:
    recipe = _recipe(steps=1, seed=5)
    by_hand = torch.Generator().manual_seed(5)
    weights = torch.stack([torch.randn(2, 5, generator=by_hand) for _ in range(4)])
    assert torch.equal(recipe.module.W.detach(), weights * (2.0 / 7) ** 0.5)
    generator = torch.Generator()
    generator.set_state(recipe.data_state)
    assert torch.equal(recipe.draw(generator), recipe.features.sample(512, 5, by_hand))


def test_short_training_learns_every_tms_feature() -> None:
    model, report = train_plainly(_recipe(steps=600))
    assert report["features_learned"] == 5 and report["candidates_healthy"] >= 1
    out = model(torch.eye(5) * 0.75)
    assert torch.allclose(torch.diagonal(out), torch.full((5,), 0.75), atol=0.3)


def test_a_full_training_without_a_healthy_candidate_fails_but_a_capped_one_reports() -> None:
    recipe = _recipe(steps=10)
    with torch.no_grad():
        recipe.module.W.zero_()  # every feature dead in every candidate
    generator = torch.Generator()
    generator.set_state(recipe.data_state)
    with pytest.raises(TMSTrainingError, match="left 5 of 5 features unlearned in all 4"):
        recipe.finish(10, generator, torch.device("cpu"))
    _, report = recipe.finish(3, generator, torch.device("cpu"))  # trainer.max_steps=3
    assert report["features_learned"] == 0 and report["candidates_healthy"] == 0
