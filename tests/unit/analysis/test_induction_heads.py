import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from subnetlab.analysis.induction_heads import (
    duplicate_token_score,
    duplicate_token_scores,
    induction_positions,
    induction_score,
    induction_scores,
    most_recent_occurrence,
    previous_token_score,
    previous_token_scores,
)
from subnetlab.data.repeated_tokens import repeated_token_sequences
from subnetlab.models.attention_only import AttnOnlySchema
from subnetlab.schemas.models import SupervisedRecipe
from subnetlab.schemas.repeated_tokens import RepeatedTokensSchema
from subnetlab.training.recipe import build_recipe
from tests.unit.training.plain_loop import train_plainly

#  position:        0  1  2  3  4  5  6
TOKENS = torch.tensor([[5, 6, 7, 5, 6, 7, 9]])


def _one_hot_pattern(keys: list[int]) -> torch.Tensor:
    """(1, 1, T, T): query t attends only to key ``keys[t]``."""
    return F.one_hot(torch.tensor(keys), len(keys)).float()[None, None]


def test_most_recent_occurrence_and_induction_positions_by_hand() -> None:
    tokens = torch.tensor([[1, 2, 1, 3, 1, 3]])
    assert most_recent_occurrence(tokens).tolist() == [[-1, -1, 0, -1, 2, 3]]
    # targets: the next tokens, the last one 9. Position 4 (a 1) is predicted by induction from
    # its most recent 1 (position 2, followed by 3); position 2 is not (the first 1 was followed
    # by 2, the target is 3), nor is 5 (the earlier 3 was followed by 1, the target is 9)
    targets = torch.tensor([[2, 1, 3, 1, 3, 9]])
    assert induction_positions(tokens, targets).tolist() == [[0, 0, 0, 0, 1, 0]]
    inputs, targets = TOKENS[:, :-1], TOKENS[:, 1:]
    assert induction_positions(inputs, targets).tolist() == [[0, 0, 0, 1, 1, 0]]
    with pytest.raises(ValueError, match="must have one shape"):
        induction_positions(tokens, targets[:, :-1])


def test_on_repeated_tokens_the_induction_positions_are_the_copy_but_its_last_token() -> None:
    inputs, targets = repeated_token_sequences(200, 40, 20, 3, 10, torch.Generator())
    full = torch.cat([inputs, targets[:, -1:]], dim=1)
    in_copy = most_recent_occurrence(full) >= 0  # only the copy's tokens occurred before
    # position t is predictable when it and the token after it are both in the copy
    expected = in_copy[:, :-1] & in_copy[:, 1:]
    assert torch.equal(induction_positions(inputs, targets), expected)
    assert int(expected.sum(1).min()) >= 2 and int(expected.sum(1).max()) == 9


def test_scores_of_hand_built_patterns() -> None:
    previous = _one_hot_pattern([0, 0, 1, 2, 3, 4, 5])
    assert previous_token_score(previous).tolist() == [1.0]
    # queries 3, 4, 5 repeat tokens 0, 1, 2: an induction head attends to keys 1, 2, 3
    induction = _one_hot_pattern([0, 0, 0, 1, 2, 3, 0])
    assert induction_score(induction, TOKENS).tolist() == [1.0]
    # of queries 1 … 6 only query 1 looks one back
    assert previous_token_score(induction).tolist() == pytest.approx([1 / 6])
    assert induction_score(previous, TOKENS).tolist() == [0.0]
    uniform = torch.ones(7, 7).tril()
    uniform = (uniform / uniform.sum(-1, keepdim=True))[None, None]
    expected = sum(1 / (t + 1) for t in range(1, 7)) / 6
    assert float(previous_token_score(uniform)) == pytest.approx(expected)
    # queries 3, 4, 5 spread over 4, 5, 6 keys
    assert float(induction_score(uniform, TOKENS)) == pytest.approx((1 / 4 + 1 / 5 + 1 / 6) / 3)
    two_heads = torch.cat([previous, induction], dim=1)
    assert induction_score(two_heads, TOKENS).tolist() == [0.0, 1.0]
    # a duplicate-token head: queries 3, 4, 5 attend to the earlier 5, 6, 7 themselves
    duplicate = _one_hot_pattern([0, 0, 0, 0, 1, 2, 6])
    assert duplicate_token_score(duplicate, TOKENS).tolist() == [1.0]
    assert duplicate_token_score(induction, TOKENS).tolist() == [0.0]
    assert induction_score(duplicate, TOKENS).tolist() == [0.0]


def test_bad_patterns_and_tokens_are_named() -> None:
    with pytest.raises(ValueError, match="pattern must be \\(batch, heads, T, T\\)"):
        previous_token_score(torch.ones(1, 3, 3))
    with pytest.raises(ValueError, match="tokens \\(1, 6\\) must be"):
        induction_score(_one_hot_pattern([0] * 7), TOKENS[:, :6])
    with pytest.raises(ValueError, match="repeat no token"):
        induction_score(_one_hot_pattern([0, 0, 1]), torch.tensor([[1, 2, 3]]))


@pytest.fixture(scope="module")
def trained() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A 2-layer, 2-head attention-only model trained on short repeated tokens (≈ 2 s), and its
    held-out (inputs, targets)."""
    recipe = SupervisedRecipe(
        steps=1000, batch_size=64, lr=2e-2, weight_decay=0.01, warmup_steps=50
    )
    model_cfg = AttnOnlySchema(vocab_size=24, n_ctx=16, d_model=32, n_heads=2, recipe=recipe)
    data_cfg = RepeatedTokensSchema(
        vocab_size=24, seq_len=16, min_repeat=4, max_repeat=8, n_train=2000, n_test=200
    )
    training = build_recipe(model_cfg, data_cfg, seed=1)
    model, _ = train_plainly(training)
    return model.eval(), training.split.x_test, training.split.y_test


def test_a_trained_model_predicts_by_induction(trained) -> None:
    model, inputs, targets = trained
    with torch.no_grad():
        logits = model(inputs)
    loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    correct = logits.argmax(-1) == targets
    where = induction_positions(inputs, targets)
    assert float(loss[where].mean()) < 0.1 * math.log(24)
    assert float(correct[where].float().mean()) > 0.95
    assert float(loss[~where].mean()) > 0.8 * math.log(24)  # nothing to predict elsewhere


def test_a_trained_model_has_a_previous_token_head_feeding_induction_heads(trained) -> None:
    model, inputs, _ = trained
    previous, induction = previous_token_scores(model, inputs), induction_scores(model, inputs)
    assert (
        previous.shape == induction.shape == duplicate_token_scores(model, inputs).shape == (2, 2)
    )
    # layer 0: one head attends to the previous token (uniform attention would score the mean
    # of 1/(t+1), 0.2 here), the other does not, and neither does induction
    assert float(previous[0].max()) > 0.6 and float(previous[0].min()) < 0.15
    assert float(induction[0].max()) < 0.15
    # layer 1: induction heads, which do not look at the previous token
    assert float(induction[1].max()) > 0.85
    assert float(previous[1].max()) < 0.15
