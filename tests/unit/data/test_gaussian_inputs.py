"""``dataset=gaussian_inputs``: standard Gaussian probes of the model's input width."""

import numpy as np
import pytest
import torch

from subnetlab.data.gaussian_inputs import GaussianInputsDataModule, gaussian_probes
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.gaussian_inputs import GaussianInputsSchema
from subnetlab.schemas.models import TMSSchema
from subnetlab.schemas.planted_families import PlantedFamiliesSchema


def test_probes_are_seeded_apart_from_the_weights() -> None:
    assert torch.equal(gaussian_probes(5, 3, seed=2), gaussian_probes(5, 3, seed=2))
    first = gaussian_probes(4, 4, seed=0).flatten()
    weights = torch.randn(16, generator=torch.Generator().manual_seed(0))
    assert not np.allclose(first.numpy(), weights.numpy())
    assert not torch.equal(first, gaussian_probes(4, 4, seed=1).flatten())


def test_the_datamodule_serves_the_probes_of_the_run_seed_at_the_model_input_width() -> None:
    data = GaussianInputsDataModule(GaussianInputsSchema(size=50), 3, PlantedFamiliesSchema(d_in=5))
    assert torch.equal(data.eval_batch(), gaussian_probes(50, 5, seed=3))
    assert torch.equal(data.eval_batch(20), gaussian_probes(50, 5, seed=3)[:20])
    assert data.eval_targets(20) is None
    with pytest.raises(ConfigError) as info:
        data.eval_batch(51)
    assert info.value.key == "dataset.size" and "51 probe inputs" in info.value.allowed


def test_a_model_without_an_input_width_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"model\.d_in.*model=tms"):
        GaussianInputsDataModule(GaussianInputsSchema(), 0, TMSSchema())
