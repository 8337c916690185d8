import pytest

from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.repeated_tokens import RepeatedTokensSchema


def test_defaults_fit_the_attention_only_model() -> None:
    cfg = RepeatedTokensSchema()
    assert (cfg.vocab_size, cfg.seq_len, cfg.min_repeat, cfg.max_repeat) == (64, 32, 8, 16)


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"max_repeat": 17}, "max_repeat=17: allowed ≤ 16"),
        ({"min_repeat": 9, "max_repeat": 8}, "min_repeat=9: allowed ≤ max_repeat=8"),
        ({"vocab_size": 24}, "vocab_size=24: allowed ≥ seq_len \\+ 1 − min_repeat = 25"),
        ({"min_repeat": 1}, "min_repeat=1: allowed an integer ≥ 2"),
        ({"data_seed": -1}, "data_seed=-1"),
    ],
)
def test_layouts_that_cannot_be_drawn_are_config_errors(knobs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        RepeatedTokensSchema(**knobs)
    assert "\n" not in str(err.value)
