"""Schemas of the synthetic sparse-feature, sequence and image datasets (``dataset/``)."""

from __future__ import annotations

from importlib import resources

from pydantic import Field, StrictFloat, StrictInt, StrictStr, model_validator

from subnetlab.schemas.base import MAX_SEED, require, schema
from subnetlab.schemas.registry import register

_OPTION = "the dataset option"


def shipped_texts() -> list[str]:
    """Names of the texts shipped as package data in ``subnetlab/data/texts`` (the allowed values
    of a text dataset's ``text``; listed without importing torch)."""
    folder = resources.files("subnetlab.data") / "texts"
    return sorted(p.name.removesuffix(".txt") for p in folder.iterdir() if p.name.endswith(".txt"))


_P_HELP = "probability that a feature is on"
_LOW_HELP = "lower end of an active feature's uniform value"
_HIGH_HELP = "upper end of an active feature's uniform value"
_BATCH_HELP = "batch of the analysis methods (a target trains with model.recipe)"
_EVAL_HELP = "size of the probe/evaluation set when a method asks for none"
_SPLIT_SEED_HELP = "seed of the train/test split (independent of the run seed)"


def _check_interval(low: float, high: float) -> None:
    require(low < high, "value_high", high, f"a number above value_low={low}")


@register("dataset", "sparse_features")
@schema
class SparseFeaturesSchema:
    """TMS data: each feature on with probability p, value U[0, 1]; label = input. The batch of
    1024 is the quick default; the paper's experiments set theirs (SPD 4096, APD 2048)."""

    name: StrictStr = Field("sparse_features", description=_OPTION)
    feature_probability: StrictFloat = Field(0.05, ge=0, le=1, description=_P_HELP)
    value_low: StrictFloat = Field(0.0, description=_LOW_HELP)
    value_high: StrictFloat = Field(1.0, description=_HIGH_HELP)
    batch_size: StrictInt = Field(1024, ge=1, description=_BATCH_HELP)
    eval_size: StrictInt = Field(10_000, ge=1, description=_EVAL_HELP)

    @model_validator(mode="after")
    def _values_form_an_interval(self) -> SparseFeaturesSchema:
        _check_interval(self.value_low, self.value_high)
        return self


@register("dataset", "resid_features")
@schema
class ResidFeaturesSchema:
    """ResidMLP data: each feature on with probability p, value U[−1, 1]; labels x + ReLU(x)
    (decomposition uses the target's outputs)."""

    name: StrictStr = Field("resid_features", description=_OPTION)
    feature_probability: StrictFloat = Field(0.01, ge=0, le=1, description=_P_HELP)
    value_low: StrictFloat = Field(-1.0, description=_LOW_HELP)
    value_high: StrictFloat = Field(1.0, description=_HIGH_HELP)
    batch_size: StrictInt = Field(2048, ge=1, description=_BATCH_HELP)
    eval_size: StrictInt = Field(10_000, ge=1, description=_EVAL_HELP)

    @model_validator(mode="after")
    def _values_form_an_interval(self) -> ResidFeaturesSchema:
        _check_interval(self.value_low, self.value_high)
        return self


@register("dataset", "modular_addition_seq")
@schema
class ModularAdditionSeqSchema:
    """(a + b) mod p as sequences ``a b =`` for ``model=transformer`` (vocabulary p + 1, length
    3); the split depends on ``split_seed`` only, so every run sees the same held-out set."""

    name: StrictStr = Field("modular_addition_seq", description=_OPTION)
    p: StrictInt = Field(59, ge=2, description="the modulus")
    train_fraction: StrictFloat = Field(
        0.8, gt=0, lt=1, description="share of the p² pairs used for training"
    )
    split_seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description=_SPLIT_SEED_HELP)
    batch_size: StrictInt = Field(256, ge=1, description=_BATCH_HELP)
    eval_size: StrictInt = Field(1000, ge=1, description=_EVAL_HELP)


@register("dataset", "char_lm")
@schema
class CharLMSchema:
    """Next-character prediction on a text shipped in ``subnetlab/data/texts`` (96-symbol ASCII
    vocabulary); the last ``test_fraction`` of the text is held out."""

    name: StrictStr = Field("char_lm", description=_OPTION)
    text: StrictStr = Field(
        "shakespeare_sonnets", description="a shipped text: subnetlab/data/texts/<text>.txt"
    )
    context: StrictInt = Field(32, ge=1, description="characters per input window")
    test_fraction: StrictFloat = Field(
        0.1, gt=0, lt=1, description="held-out share at the end of the text"
    )
    train_stride: StrictInt = Field(1, ge=1, description="characters between training windows")
    test_stride: StrictInt = Field(4, ge=1, description="characters between test windows")
    batch_size: StrictInt = Field(64, ge=1, description=_BATCH_HELP)
    eval_size: StrictInt = Field(1000, ge=1, description=_EVAL_HELP)

    @model_validator(mode="after")
    def _text_is_shipped(self) -> CharLMSchema:
        texts = shipped_texts()
        require(self.text in texts, "text", self.text, f"one of {texts}")
        return self


@register("dataset", "mnist_images")
@schema
class MnistImagesSchema:
    """MNIST test images (flattened to 784) as probe inputs for analysis methods, e.g. for
    ``method=gw`` on an MLP trained on MNIST; the IDX files must already be in ``data_dir``
    (nothing is downloaded)."""

    name: StrictStr = Field("mnist_images", description=_OPTION)
    data_dir: StrictStr = Field("data/mnist", description="folder of the MNIST IDX files")
    eval_size: StrictInt = Field(1000, ge=1, description=_EVAL_HELP)


@register("dataset", "digits")
@schema
class DigitsSchema:
    """The shipped 8×8 handwritten digits (UCI optdigits, 1797 images, 10 classes; no download);
    ``test_size`` of them held out by a split that depends on ``split_seed`` only."""

    name: StrictStr = Field("digits", description=_OPTION)
    test_size: StrictInt = Field(
        500, ge=1, le=1796, description="held-out images (the probe set comes from them first)"
    )
    split_seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description=_SPLIT_SEED_HELP)
    eval_size: StrictInt = Field(500, ge=1, description=_EVAL_HELP)
    batch_size: StrictInt = Field(
        128, ge=1, description="training images per step of a method that trains on inputs (SPD)"
    )
