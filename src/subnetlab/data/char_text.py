"""Character-level language modelling on a public-domain text shipped with the package
(``subnetlab/data/texts/<name>.txt``): a fixed ASCII vocabulary, encoding, and windows."""

from __future__ import annotations

from importlib import resources

import torch

from subnetlab.data.sequence_task import SequenceTask
from subnetlab.data.split import Split
from subnetlab.registry import register_dataset
from subnetlab.schemas.datasets import CharLMSchema, shipped_texts

# newline, then the printable ASCII characters space … '~': a vocabulary independent of the text
CHARSET = "\n" + "".join(chr(code) for code in range(32, 127))
_INDEX = {char: i for i, char in enumerate(CHARSET)}
HEADER_PREFIX = "# "


def load_text(name: str) -> str:
    """A shipped text without its header lines (those starting with ``# ``)."""
    available = shipped_texts()
    if name not in available:
        raise ValueError(f"text={name!r} is not shipped; available: {available}")
    raw = (resources.files("subnetlab.data") / "texts" / f"{name}.txt").read_text("ascii")
    lines = raw.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(HEADER_PREFIX))


def encode(text: str) -> torch.Tensor:
    """(len(text),) long ids in ``CHARSET``; characters outside it are an error."""
    unknown = sorted({char for char in text if char not in _INDEX})
    if unknown:
        raise ValueError(f"characters {unknown!r} are outside the ASCII vocabulary of char_text")
    return torch.tensor([_INDEX[char] for char in text], dtype=torch.long)


def decode(ids: torch.Tensor) -> str:
    """Inverse of ``encode``."""
    return "".join(CHARSET[i] for i in ids.tolist())


def windows(ids: torch.Tensor, context: int, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sliding windows of ``ids``: inputs (n, context) and next-character targets (n, context)."""
    if context < 1 or stride < 1:
        raise ValueError(f"context={context} and stride={stride} must be integers >= 1")
    if ids.numel() < context + 1:
        raise ValueError(f"{ids.numel()} characters are too few for windows of {context} + 1")
    spans = ids.unfold(0, context + 1, stride)
    return spans[:, :-1].contiguous(), spans[:, 1:].contiguous()


def char_lm_task(
    text: str = "shakespeare_sonnets",
    context: int = 32,
    test_fraction: float = 0.1,
    train_stride: int = 1,
    test_stride: int = 4,
) -> SequenceTask:
    """Next-character prediction at every position; the last ``test_fraction`` of the text (a
    contiguous stretch, so no window overlaps the training part) is held out."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction={test_fraction} must be in (0, 1)")
    ids = encode(load_text(text))
    cut = int(round(ids.numel() * (1 - test_fraction)))
    train_x, train_y = windows(ids[:cut], context, train_stride)
    test_x, test_y = windows(ids[cut:], context, test_stride)
    split = Split(train_x, train_y, test_x, test_y)
    return SequenceTask(split, len(CHARSET), "all", token_names=tuple(CHARSET))


@register_dataset("char_lm", CharLMSchema, produces=SequenceTask)
def build_char_lm(cfg: CharLMSchema) -> SequenceTask:
    """The task a ``dataset=char_lm`` config describes."""
    return char_lm_task(cfg.text, cfg.context, cfg.test_fraction, cfg.train_stride, cfg.test_stride)
