import math

import pytest

from subnetlab.methods.decomposition.schedules import lr_at, pnorm_at


def test_quarter_cosine_of_the_paper_branch() -> None:
    assert lr_at(0, 11, 1.0, "cosine") == pytest.approx(1.0)
    assert lr_at(5, 11, 1.0, "cosine") == pytest.approx(math.cos(math.pi / 4))
    assert lr_at(10, 11, 1.0, "cosine") == pytest.approx(0.0, abs=1e-12)


def test_other_schedules_and_warmup() -> None:
    assert lr_at(5, 11, 2.0, "constant") == 2.0
    assert lr_at(5, 11, 2.0, "linear") == pytest.approx(1.0)
    assert lr_at(5, 11, 2.0, "half_cosine") == pytest.approx(1.0)
    assert lr_at(0, 11, 2.0, "constant", warmup_steps=4) == pytest.approx(0.5)
    assert lr_at(3, 11, 2.0, "constant", warmup_steps=4) == pytest.approx(2.0)


def test_p_annealing_moves_linearly_between_its_fractions() -> None:
    # 11 steps: t = step / 10; p goes 2 → 0.5 between t = 0.2 and t = 0.6
    def p(step: int) -> float:
        return pnorm_at(step, 11, 2.0, 0.5, 0.2, 0.6)

    assert p(0) == 2.0 and p(2) == 2.0
    assert p(4) == pytest.approx(1.25)  # halfway: 2 + (0.5 − 2)·0.5
    assert p(6) == 0.5 and p(10) == 0.5
    assert pnorm_at(7, 11, 2.0, None, 0.2, 0.6) == 2.0  # no annealing
