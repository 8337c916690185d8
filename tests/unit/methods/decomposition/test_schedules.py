import math

import pytest

from subnetlab.methods.decomposition.schedules import lr_at


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
