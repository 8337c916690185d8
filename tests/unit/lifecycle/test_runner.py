"""The runner's device choice for work outside Lightning's fit (analyses, studies)."""

import pytest
import torch

from subnetlab.lifecycle.runner import run_device
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.run import TrainerSchema


def test_the_device_is_trainer_accelerators() -> None:
    assert run_device(TrainerSchema(accelerator="cpu")) == torch.device("cpu")
    expected = torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    assert run_device(TrainerSchema(accelerator="auto")) == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_gpu_without_cuda_names_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        run_device(TrainerSchema(accelerator="gpu"))
    assert info.value.key == "trainer.accelerator"
