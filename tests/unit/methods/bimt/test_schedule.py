import pytest

from subnetlab.methods.bimt.schedule import LambdaSchedule, start_step


def test_three_phases_switch_at_a_quarter_and_three_quarters():
    schedule = LambdaSchedule(1e-3, ((0.0, 1.0), (0.25, 10.0), (0.75, 1.0)))
    assert schedule.switch_steps(20000) == [0, 5000, 15000]
    assert schedule.value(0, 20000) == pytest.approx(1e-3)
    assert schedule.value(4999, 20000) == pytest.approx(1e-3)
    assert schedule.value(5000, 20000) == pytest.approx(1e-2)
    assert schedule.value(14999, 20000) == pytest.approx(1e-2)
    assert schedule.value(15000, 20000) == pytest.approx(1e-3)


def test_fractional_switch_rounds_up_to_the_next_step():
    schedule = LambdaSchedule(2.0, ((0.0, 0.5), (0.5, 3.0)))
    assert schedule.switch_steps(7) == [0, 4]
    assert [schedule.value(s, 7) for s in range(7)] == [1.0] * 4 + [6.0] * 3
    assert start_step(0.75, 8) == 6
    assert start_step(0.0, 8) == 0


def test_constant_schedule():
    assert LambdaSchedule(0.3).value(123, 1000) == pytest.approx(0.3)


@pytest.mark.parametrize(
    "phases",
    [
        (),
        ((0.1, 1.0),),
        ((0.0, 1.0), (0.5, 2.0), (0.5, 3.0)),
        ((0.0, 1.0), (1.0, 2.0)),
        ((0.0, -1.0),),
    ],
)
def test_bad_phases_raise(phases):
    with pytest.raises(ValueError):
        LambdaSchedule(1.0, phases)


def test_negative_base_raises():
    with pytest.raises(ValueError, match="base"):
        LambdaSchedule(-1.0)
