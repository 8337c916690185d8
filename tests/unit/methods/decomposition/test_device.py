"""Every tensor SPD's and APD's training step creates follows the module's device: run the step on
the ``meta`` device (no data, only shapes and devices), where mixing in a CPU tensor fails."""

from collections.abc import Iterator

import pytest
import torch
import torch.fx.experimental._config as fx_config

from subnetlab.data.step_batches import step_generator
from subnetlab.methods.apd.decomposition import APDDecomposition
from subnetlab.methods.spd.decomposition import SPDDecomposition
from subnetlab.models.tms import TMS


@pytest.fixture(autouse=True)
def _meta_nonzero() -> Iterator[None]:
    # merging all-zero rows uses nonzero(), whose meta kernel needs this to return a shape
    with fx_config.patch(meta_nonzero_assume_all_nonzero=True):
        yield


@pytest.mark.parametrize("batched", [True, False])
def test_spd_step_stays_on_the_module_device(batched: bool) -> None:
    decomposition = SPDDecomposition(
        TMS(5, 2), ["linear1", "linear2"], {"linear1": 6, "linear2": 6}, 4, seed=0
    )
    decomposition.to("meta")
    x = torch.rand(8, 5).to("meta")
    terms, ci = decomposition.losses(x, 1.0, step_generator(0, 0, 2), batched=batched)
    for name, value in terms.items():
        assert value.device.type == "meta", name
    if batched:  # merged rows carry weights; the plain path's rows are weighed equally
        assert ci.row_weights is not None and ci.row_weights.device.type == "meta"
    else:
        assert ci.row_weights is None
    assert all(c.device.type == "meta" for c in ci.lower.values())


def test_apd_step_stays_on_the_module_device() -> None:
    decomposition = APDDecomposition(
        TMS(5, 2), ["linear1", "linear2"], 4, {"linear1": 2, "linear2": 2}, seed=0
    )
    decomposition.to("meta")
    x = torch.rand(8, 5).to("meta")
    terms, mask, _ = decomposition.losses(x, topk=0.5, schatten_pnorm=1.0)
    for name, value in terms.items():
        assert value.device.type == "meta", name
    assert mask.device.type == "meta"
