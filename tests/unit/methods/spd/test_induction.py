import pytest
import torch

from subnetlab.methods.spd.induction import (
    MatrixEvidence,
    MechanismThresholds,
    head_attribution,
    mean_ci_by_position_kind,
    split_mechanisms,
)

# 3 sequences × 4 positions; positions 1, 2, 3 are induction positions in some sequences only
MASK = torch.tensor([[0, 0, 1, 1], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=torch.bool)


def _ci(*profiles: tuple[float, float]) -> torch.Tensor:
    """(3, 4, C): subcomponent c has CI ``profiles[c][0]`` where induction applies and
    ``profiles[c][1]`` elsewhere."""
    on = torch.tensor([p[0] for p in profiles])
    off = torch.tensor([p[1] for p in profiles])
    return torch.where(MASK[:, :, None], on, off)


def test_head_attribution_by_hand() -> None:
    V = torch.tensor([[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    U = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    # q/k/v: heads own U's columns {0, 1} and {2, 3}: row 1 has mass 4 in head 0, 1 in head 1
    output = head_attribution(V, U, n_heads=2, side="output")
    torch.testing.assert_close(output, torch.tensor([[1.0, 0.0], [0.8, 0.2], [0.0, 0.0]]))
    # o: heads own V's rows {0, 1} and {2, 3}: column 1 has mass 9 in head 0, 16 in head 1
    inputs = head_attribution(V, U, n_heads=2, side="input")
    torch.testing.assert_close(inputs, torch.tensor([[1.0, 0.0], [0.36, 0.64], [0.0, 0.0]]))


def test_head_attribution_is_the_share_of_the_rank_one_matrix_in_each_head() -> None:
    generator = torch.Generator().manual_seed(0)
    V, U = torch.randn(6, 5, generator=generator), torch.randn(5, 6, generator=generator)
    for side in ("output", "input"):
        shares = head_attribution(V, U, n_heads=3, side=side)
        for c in range(5):
            piece = torch.outer(V[:, c], U[c])  # (d_in, d_out)
            total = piece.square().sum()
            for h in range(3):
                part = piece[:, 2 * h : 2 * h + 2] if side == "output" else piece[2 * h : 2 * h + 2]
                assert float(shares[c, h]) == pytest.approx(float(part.square().sum() / total))


def test_head_attribution_refuses_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="must be \\(d_in, C\\) and \\(C, d_out\\)"):
        head_attribution(torch.ones(4, 3), torch.ones(2, 4), n_heads=2, side="output")
    with pytest.raises(ValueError, match="n_heads=3 does not divide the output width 4"):
        head_attribution(torch.ones(4, 2), torch.ones(2, 4), n_heads=3, side="output")
    with pytest.raises(ValueError, match="side='both'"):
        head_attribution(torch.ones(4, 2), torch.ones(2, 4), n_heads=2, side="both")  # type: ignore[arg-type]


def test_mean_ci_by_position_kind_compares_at_equal_positions() -> None:
    ci = torch.tensor([[0.0, 0.1, 0.8, 0.6], [0.9, 0.4, 0.7, 0.2], [0.5, 0.0, 0.3, 0.1]])[..., None]
    on, off = mean_ci_by_position_kind(ci, MASK)
    # t = 0 is never an induction position: left out; t = 1: on 0.4, off (0.1 + 0.0)/2;
    # t = 2: on (0.8 + 0.7)/2, off 0.3; t = 3: on 0.6, off (0.2 + 0.1)/2
    assert on.tolist() == pytest.approx([(0.4 + 0.75 + 0.6) / 3])
    assert off.tolist() == pytest.approx([(0.05 + 0.3 + 0.15) / 3])
    # a subcomponent that follows the position only is not induction-selective, although the
    # induction positions lie later than the others on average
    by_position = torch.tensor([0.0, 0.2, 0.6, 1.0]).expand(3, 4)[..., None]
    on, off = mean_ci_by_position_kind(by_position, MASK)
    torch.testing.assert_close(on, off)
    # pooled means would have reported 0.6 against 0.375
    assert float(by_position[MASK].mean()) == pytest.approx(0.6)
    assert float(by_position[~MASK].mean()) == pytest.approx(0.375)
    with pytest.raises(ValueError, match="induction mask's shape \\(3, 3\\)"):
        mean_ci_by_position_kind(ci, MASK[:, :3])
    with pytest.raises(ValueError, match="induction position in some sequences and not"):
        mean_ci_by_position_kind(ci, MASK[[0, 0]].repeat(2, 1)[:3])


def test_separate_subcomponents_pass() -> None:
    split = split_mechanisms(
        {
            # layer 0: one always-on subcomponent (previous-token work), one dead
            "blocks.0.attn.o": MatrixEvidence(_ci((0.9, 0.9), (0.0, 0.0))),
            # layer 1: one subcomponent used only where induction applies, one barely used
            "blocks.1.attn.o": MatrixEvidence(_ci((0.8, 0.05), (0.05, 0.05))),
        },
        MASK,
    )
    assert split.previous_token == {("blocks.0.attn.o", 0)}
    assert split.induction == {("blocks.1.attn.o", 0)}
    assert split.overlap == frozenset() and split.passed
    torch.testing.assert_close(split.on["blocks.1.attn.o"], torch.tensor([0.8, 0.05]))
    torch.testing.assert_close(split.off["blocks.0.attn.o"], torch.tensor([0.9, 0.0]))


def test_head_attribution_confines_each_mechanism_to_heads_of_its_role() -> None:
    layer0 = MatrixEvidence(
        _ci((0.9, 0.9), (0.9, 0.9)),
        head_attribution=torch.tensor([[0.1, 0.9], [0.9, 0.1]]),
        previous_token_heads=(1,),
    )
    layer1 = MatrixEvidence(
        _ci((0.7, 0.1), (0.7, 0.1), (0.6, 0.6)),
        head_attribution=torch.tensor([[1.0, 0.0], [0.2, 0.8], [0.5, 0.5]]),
        induction_heads=(0,),
    )
    split = split_mechanisms({"blocks.0.attn.v": layer0, "blocks.1.attn.o": layer1}, MASK)
    # layer 0's subcomponent 1 is always on but sits in head 0, not the previous-token head;
    # layer 1's subcomponent 1 is selective but sits in head 1, not the induction head, and its
    # always-on subcomponent 2 is in no previous-token head
    assert split.previous_token == {("blocks.0.attn.v", 0)}
    assert split.induction == {("blocks.1.attn.o", 0)}
    assert split.passed


def test_a_subcomponent_working_everywhere_but_mostly_on_induction_positions_fails() -> None:
    split = split_mechanisms(
        {
            "blocks.0.attn.o": MatrixEvidence(_ci((0.9, 0.9))),
            # active elsewhere (0.2 ≥ 0.1) and four times as active where induction applies
            "blocks.1.attn.o": MatrixEvidence(_ci((0.8, 0.2))),
        },
        MASK,
    )
    assert split.overlap == {("blocks.1.attn.o", 0)}
    assert split.previous_token and split.induction and not split.passed


def test_a_subcomponent_spread_over_a_previous_token_and_an_induction_head_fails() -> None:
    mixed = MatrixEvidence(
        _ci((0.8, 0.2)),
        head_attribution=torch.tensor([[0.5, 0.5]]),
        previous_token_heads=(0,),
        induction_heads=(1,),
    )
    split = split_mechanisms({"blocks.1.attn.q": mixed}, MASK)
    assert split.overlap == {("blocks.1.attn.q", 0)} and not split.passed
    # a stricter head share separates nothing here: then neither mechanism is found
    strict = split_mechanisms({"blocks.1.attn.q": mixed}, MASK, MechanismThresholds(head_share=0.6))
    assert strict.previous_token == strict.induction == frozenset() and not strict.passed


@pytest.mark.parametrize(
    ("profiles", "previous", "induction"),
    [
        ([(0.0, 0.0), (0.05, 0.02)], False, False),  # a dead decomposition
        ([(0.9, 0.9), (0.6, 0.5)], True, False),  # CI on everywhere: nothing induction-specific
        ([(0.5, 0.0)], False, True),  # no subcomponent works where induction does not apply
    ],
)
def test_a_missing_mechanism_fails(
    profiles: list[tuple[float, float]], previous: bool, induction: bool
) -> None:
    split = split_mechanisms({"blocks.0.attn.q": MatrixEvidence(_ci(*profiles))}, MASK)
    assert bool(split.previous_token) is previous and bool(split.induction) is induction
    assert not split.overlap and not split.passed


def test_bad_evidence_is_named() -> None:
    with pytest.raises(ValueError, match="no decomposed matrices"):
        split_mechanisms({}, MASK)
    wrong_rows = MatrixEvidence(_ci((0.5, 0.5)), head_attribution=torch.ones(2, 2) / 2)
    with pytest.raises(ValueError, match="blocks.0.attn.k: head attribution \\(2, 2\\) .* C = 1"):
        split_mechanisms({"blocks.0.attn.k": wrong_rows}, MASK)
    outside = MatrixEvidence(
        _ci((0.5, 0.5)), head_attribution=torch.ones(1, 2) / 2, induction_heads=(2,)
    )
    with pytest.raises(ValueError, match="heads \\[2\\] are outside 0 … 1"):
        split_mechanisms({"blocks.1.attn.k": outside}, MASK)
    both = MatrixEvidence(_ci((0.5, 0.5)), previous_token_heads=(0,), induction_heads=(0, 1))
    with pytest.raises(
        ValueError, match="heads \\[0\\] are listed as previous-token and induction"
    ):
        split_mechanisms({"blocks.1.attn.k": both}, MASK)
