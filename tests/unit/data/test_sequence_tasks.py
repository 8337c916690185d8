import pytest
import torch

from subnetlab.data.modular_sequences import modular_addition_sequences
from subnetlab.data.sequence_tasks import SequenceDataModule, probe_inputs
from subnetlab.schemas.base import ConfigError
from subnetlab.schemas.datasets import CharLMSchema, DigitsSchema, ModularAdditionSeqSchema
from subnetlab.schemas.models import TransformerSchema


def test_probe_takes_held_out_sequences_first_and_is_fixed() -> None:
    task = modular_addition_sequences(p=5, train_fraction=0.6)
    probe = probe_inputs(task, 15)
    held_out = {tuple(r) for r in task.split.x_test.tolist()}
    assert probe.shape == (15, 3)
    assert {tuple(r) for r in probe[:10].tolist()} == held_out  # all 10 test sequences
    assert torch.equal(probe, probe_inputs(task, 15))
    assert probe_inputs(task, 1000).shape[0] == 25  # all p² sequences at most


def test_datamodule_checks_the_model_can_read_the_data() -> None:
    data = SequenceDataModule(ModularAdditionSeqSchema(p=7), 0, TransformerSchema(vocab_size=8))
    assert data.eval_batch(4).shape == (4, 3)
    with pytest.raises(ValueError, match="vocab_size=60 is below dataset=char_lm's 96"):
        SequenceDataModule(CharLMSchema(), 0, TransformerSchema(vocab_size=60, n_ctx=32))
    with pytest.raises(ValueError, match="n_ctx=3 is below"):
        SequenceDataModule(CharLMSchema(), 0, TransformerSchema(vocab_size=96, n_ctx=3))


def test_datamodule_refuses_a_dataset_that_is_no_sequence_task() -> None:
    with pytest.raises(ConfigError, match=r"dataset.name='digits'.*SequenceTask datasets.*char_lm"):
        SequenceDataModule(DigitsSchema(), 0, TransformerSchema())
