"""Checkpoint files are read weights-only, and each bad file is named for what it is."""

import gzip
from pathlib import Path

import pytest
import torch

from subnetlab.utils.checkpoint_files import (
    CheckpointFileError,
    non_finite_entries,
    read_checkpoint,
)


def test_a_torch_file_round_trips(tmp_path: Path) -> None:
    torch.save({"w": torch.arange(3.0), "step": 4, "names": ["a"]}, tmp_path / "x.pt")
    loaded = read_checkpoint(tmp_path / "x.pt")
    assert torch.equal(loaded["w"], torch.arange(3.0)) and loaded["step"] == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty (0 bytes)"),
        (b"epoch,loss\n1,0.5\n", "it holds text starting 'epoch,loss'"),
        (gzip.compress(b"x" * 100), "it is gzip-compressed data"),
        (b"\x00\x01\x02\xfe\xff garbage", "it starts with the bytes 00 01 02 fe ff 20 67 61"),
        (b"PK\x03\x04 a zip that ends here", "is truncated or corrupt"),
    ],
)
def test_each_bad_file_is_named_for_what_it_is(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "last.ckpt"
    path.write_bytes(content)
    with pytest.raises(CheckpointFileError) as info:
        read_checkpoint(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert "\n" not in str(info.value) and "weights_only" not in str(info.value)


def test_a_folder_is_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(CheckpointFileError, match="is not a file"):
        read_checkpoint(tmp_path)


def test_non_finite_entries_name_their_key_paths() -> None:
    state = {
        "state_dict": {"w": torch.tensor([1.0, float("nan")]), "steps": torch.tensor([3])},
        "optimizer_states": [{"state": {0: {"exp_avg_sq": torch.tensor([float("inf")])}}}],
        "note": "plain values are not tensors",
    }
    assert non_finite_entries(state) == [
        "state_dict.w",
        "optimizer_states[0].state.0.exp_avg_sq",
    ]
    assert non_finite_entries({"w": torch.ones(2)}) == []
