import pytest
import torch
from tensorboard.plugin_util import markdown_to_safe_html

from subnetlab.analysis.component_contexts import component_contexts
from subnetlab.analysis.component_text_summary import component_text_summary

TEXT = "a*b | a<c\na_"
VOCAB = sorted(set(TEXT))


def modules():
    tokens = torch.tensor([[VOCAB.index(c) for c in TEXT]])
    ci = torch.zeros(1, len(TEXT), 3)
    ci[0, :, 0] = (tokens[0] == VOCAB.index("a")).float()  # fires 3 times
    ci[0, :, 2] = (tokens[0] == VOCAB.index("<")).float() * 0.5  # fires once
    return component_contexts(
        tokens,
        {"h.0.mlp": ci, "h.0.attn": torch.zeros(1, len(TEXT), 2)},
        alive_threshold=0.1,
        top_k=3,
        window=3,
        n_top_tokens=3,
        min_token_count=1,
    )


def test_the_markdown_lists_the_top_components_with_a_context_each() -> None:
    text = component_text_summary(
        modules(), VOCAB.__getitem__, components_per_module=5, tokens_per_component=2
    )
    assert text == (
        "### h.0.mlp: 2 of 3 subcomponents alive, mean L0 0.333 (CI > 0.1)\n\n"
        "| subcomponent | fires | mean CI | top tokens (mean CI) | top context |\n"
        "|---:|---:|---:|---|---|\n"
        "| 0 | 25% | 0.25 | a (1.00) | **a**&#42;b  |\n"
        "| 2 | 8.33% | 0.0417 | &#60; (0.50) | &#124; a**&#60;**c↵a |\n\n"
        "### h.0.attn: 0 of 2 subcomponents alive, mean L0 0 (CI > 0.1)\n\n"
        "no alive subcomponents\n"
    )
    one = component_text_summary(
        modules(), VOCAB.__getitem__, components_per_module=1, tokens_per_component=1
    )
    assert "| 0 | 25%" in one and "| 2 |" not in one


def test_tensorboard_renders_the_markdown_as_a_table_with_the_token_in_bold() -> None:
    text = component_text_summary(
        modules(), VOCAB.__getitem__, components_per_module=5, tokens_per_component=2
    )
    rendered = markdown_to_safe_html(text)
    assert rendered.count("<table>") == 1 and rendered.count("<tr>") == 3
    assert "<td>&#124; a<strong>&#60;</strong>c↵a</td>" in rendered
    assert "<td><strong>a</strong>&#42;b</td>" in rendered
    assert "<h3>h.0.attn: 0 of 2 subcomponents alive" in rendered


def test_caps_below_one_are_named() -> None:
    with pytest.raises(ValueError, match="components_per_module must be >= 1"):
        component_text_summary(modules(), str, components_per_module=0, tokens_per_component=1)
