import pytest

from subnetlab.methods.bimt.connection_cost import CostSettings
from subnetlab.methods.bimt.training_regime import TRAIN_TYPES, TrainingRegime


def test_five_way_ablation_flags():
    flags = {name: TrainingRegime.from_name(name) for name in TRAIN_TYPES}
    assert [(r.penalize, r.local, r.swap) for r in flags.values()] == [
        (False, False, False),
        (True, False, False),
        (True, True, False),
        (True, False, True),
        (True, True, True),
    ]


def test_training_cost_turns_locality_off_for_non_local_types():
    cost = CostSettings(layer_gap=0.2, distance_weight=2.0)
    assert TrainingRegime.from_name("vanilla").training_cost(cost) is None
    assert TrainingRegime.from_name("l1").training_cost(cost).distance_weight == 0.0
    assert TrainingRegime.from_name("l1_swap").training_cost(cost).distance_weight == 0.0
    assert TrainingRegime.from_name("l1_local").training_cost(cost) == cost
    assert TrainingRegime.from_name("bimt").training_cost(cost).layer_gap == 0.2


def test_unknown_train_type_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="l1_local"):
        TrainingRegime.from_name("l2")
