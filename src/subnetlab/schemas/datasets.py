"""Schemas of the synthetic sparse-feature datasets (``dataset/``)."""

from __future__ import annotations

from dataclasses import dataclass

from subnetlab.schemas.base import require
from subnetlab.schemas.registry import register


def _check_sparse(p: float, low: float, high: float, batch_size: int) -> None:
    require(0.0 <= p <= 1.0, "feature_probability", p, "a probability in [0, 1]")
    require(low < high, "value_high", high, f"a number above value_low={low}")
    require(batch_size >= 1, "batch_size", batch_size, "an integer ≥ 1")


@register("dataset", "sparse_features")
@dataclass
class SparseFeaturesSchema:
    """TMS data: each feature on with probability p, value U[value_low, value_high];
    label = input."""

    name: str = "sparse_features"
    feature_probability: float = 0.05
    value_low: float = 0.0
    value_high: float = 1.0
    batch_size: int = 4096
    eval_size: int = 10_000

    def __post_init__(self) -> None:
        _check_sparse(self.feature_probability, self.value_low, self.value_high, self.batch_size)
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")


@register("dataset", "resid_features")
@dataclass
class ResidFeaturesSchema:
    """ResidMLP data: p = 0.01, values U[−1, 1]; labels x + ReLU(x) (decomposition uses the
    target's outputs)."""

    name: str = "resid_features"
    feature_probability: float = 0.01
    value_low: float = -1.0
    value_high: float = 1.0
    batch_size: int = 2048
    eval_size: int = 10_000

    def __post_init__(self) -> None:
        _check_sparse(self.feature_probability, self.value_low, self.value_high, self.batch_size)
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")


@register("dataset", "modular_addition_seq")
@dataclass
class ModularAdditionSeqSchema:
    """Modular addition as sequences ``a b =`` for a transformer (vocabulary p + 1, length 3);
    the train/test split depends on ``split_seed`` only, so every run sees the same held-out set.
    """

    name: str = "modular_addition_seq"
    p: int = 59
    train_fraction: float = 0.8
    split_seed: int = 0
    batch_size: int = 256
    eval_size: int = 1000

    def __post_init__(self) -> None:
        require(self.p >= 2, "p", self.p, "an integer ≥ 2")
        require(
            0 < self.train_fraction < 1, "train_fraction", self.train_fraction, "a number in (0, 1)"
        )
        require(self.split_seed >= 0, "split_seed", self.split_seed, "an integer ≥ 0")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer ≥ 1")
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")


@register("dataset", "char_lm")
@dataclass
class CharLMSchema:
    """Next-character prediction on a text shipped in ``subnetlab/data/texts`` (96-symbol ASCII
    vocabulary); the last ``test_fraction`` of the text is held out."""

    name: str = "char_lm"
    text: str = "shakespeare_sonnets"
    context: int = 32
    test_fraction: float = 0.1
    train_stride: int = 1
    test_stride: int = 4
    batch_size: int = 64
    eval_size: int = 1000

    def __post_init__(self) -> None:
        from subnetlab.data.char_text import shipped_texts

        texts = shipped_texts()
        require(self.text in texts, "text", self.text, f"one of {texts}")
        require(self.context >= 1, "context", self.context, "an integer ≥ 1")
        require(
            0 < self.test_fraction < 1, "test_fraction", self.test_fraction, "a number in (0, 1)"
        )
        require(self.train_stride >= 1, "train_stride", self.train_stride, "an integer ≥ 1")
        require(self.test_stride >= 1, "test_stride", self.test_stride, "an integer ≥ 1")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer ≥ 1")
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")


@register("dataset", "mnist_images")
@dataclass
class MnistImagesSchema:
    """MNIST test images (flattened to 784) as probe inputs for analysis methods; the IDX files
    must already be in ``data_dir`` (nothing is downloaded)."""

    name: str = "mnist_images"
    data_dir: str = "data/mnist"
    eval_size: int = 1000

    def __post_init__(self) -> None:
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")


@register("dataset", "digits")
@dataclass
class DigitsSchema:
    """The shipped 8×8 handwritten digits (1797 images, 10 classes); ``test_size`` of them held
    out by a split that depends on ``split_seed`` only."""

    name: str = "digits"
    test_size: int = 500
    split_seed: int = 0
    eval_size: int = 500

    def __post_init__(self) -> None:
        require(1 <= self.test_size <= 1796, "test_size", self.test_size, "an integer in 1..1796")
        require(self.split_seed >= 0, "split_seed", self.split_seed, "an integer ≥ 0")
        require(self.eval_size >= 1, "eval_size", self.eval_size, "an integer ≥ 1")
