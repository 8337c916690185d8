import pytest
import torch

from subnetlab.data.char_text import (
    CHARSET,
    char_lm_task,
    decode,
    encode,
    load_text,
    windows,
)
from subnetlab.schemas.datasets import shipped_texts


def test_shipped_sonnets_load_without_header_and_round_trip() -> None:
    assert "shakespeare_sonnets" in shipped_texts()
    text = load_text("shakespeare_sonnets")
    assert len(text) > 8000
    assert text.startswith("I\n\nFrom fairest creatures we desire increase,")
    assert "# " not in text.splitlines()[0] and "Public domain" not in text
    assert decode(encode(text)) == text


def test_vocabulary_is_fixed_ascii() -> None:
    assert len(CHARSET) == 96 and CHARSET[0] == "\n" and CHARSET[1] == " "
    assert encode("A\n a").tolist() == [34, 0, 1, 66]
    with pytest.raises(ValueError, match="outside the ASCII vocabulary"):
        encode("caf\u00e9")
    with pytest.raises(ValueError, match="not shipped"):
        load_text("hamlet")


def test_windows_pair_each_character_with_the_next() -> None:
    ids = torch.arange(10)
    inputs, targets = windows(ids, context=4, stride=3)
    assert inputs.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6]]
    assert targets.tolist() == [[1, 2, 3, 4], [4, 5, 6, 7]]


def test_char_lm_holds_out_the_end_of_the_text() -> None:
    task = char_lm_task(context=16, test_fraction=0.1, train_stride=1, test_stride=4)
    ids = encode(load_text("shakespeare_sonnets"))
    cut = int(round(ids.numel() * 0.9))
    assert task.predict == "all" and task.vocab_size == 96 and task.seq_len == 16
    split = task.split
    assert split.n_train == cut - 16
    assert torch.equal(split.x_train[0], ids[:16])
    assert torch.equal(split.x_test[0], ids[cut : cut + 16])
    assert torch.equal(split.y_test[1], ids[cut + 5 : cut + 21])
    assert int(split.y_train.max()) < 96
