"""A short markdown digest of a language-model decomposition's subcomponents, for TensorBoard's
text tab (``SummaryWriter.add_text``): per matrix, its most frequently firing subcomponents with
their top tokens and one activating context each. The full reading is the HTML component page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from subnetlab.analysis.component_contexts import ComponentContexts, ModuleContexts
from subnetlab.analysis.token_display import visible_text, visible_token

# Characters with a meaning in markdown tables or inline markup, written as numeric character
# references: both CommonMark and the Python-Markdown renderer TensorBoard uses read those as
# the plain character, while several backslash escapes (\< \| \~) are not understood by the latter.
_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|~&")


def _markdown_text(text: str) -> str:
    return "".join(f"&#{ord(char)};" if char in _MARKDOWN_SPECIAL else char for char in text)


def _context_markdown(component: ComponentContexts, decode: Callable[[int], str]) -> str:
    if not component.contexts:
        return ""
    context = component.contexts[0]
    parts = []
    for slot, token_id in enumerate(context.token_ids):
        text = decode(token_id)
        if slot == context.position:
            parts.append(f"**{_markdown_text(visible_token(text))}**")
        else:
            parts.append(_markdown_text(visible_text(text)))
    return "".join(parts)


def component_text_summary(
    modules: Sequence[ModuleContexts],
    decode: Callable[[int], str],
    *,
    components_per_module: int,
    tokens_per_component: int,
) -> str:
    """Markdown: one heading and table per module, listing its ``components_per_module`` most
    frequently firing subcomponents (index, firing frequency, mean CI, up to
    ``tokens_per_component`` top tokens with their mean CI, and its top activating context with the
    activating token in bold). Token text is escaped and whitespace drawn visibly (↵ ⇥ ␣).

    Raises:
        ValueError: ``components_per_module`` or ``tokens_per_component`` below 1.
    """
    for key, count in (
        ("components_per_module", components_per_module),
        ("tokens_per_component", tokens_per_component),
    ):
        if count < 1:
            raise ValueError(f"{key} must be >= 1; got {count}")
    sections = []
    for module in modules:
        heading = (
            f"### {_markdown_text(module.name)}: {len(module.components)} of "
            f"{module.n_components} subcomponents alive, mean L0 {module.mean_l0:.3g} "
            f"(CI > {module.alive_threshold:g})"
        )
        if not module.components:
            sections.append(f"{heading}\n\nno alive subcomponents")
            continue
        ordered = sorted(module.components, key=lambda c: (-c.firing_frequency, c.index))
        rows = [
            "| subcomponent | fires | mean CI | top tokens (mean CI) | top context |",
            "|---:|---:|---:|---|---|",
        ]
        for component in ordered[:components_per_module]:
            tokens = ", ".join(
                f"{_markdown_text(visible_token(decode(stat.token_id)))} ({stat.mean_ci:.2f})"
                for stat in component.top_tokens[:tokens_per_component]
            )
            rows.append(
                f"| {component.index} | {100 * component.firing_frequency:.3g}% | "
                f"{component.mean_ci:.3g} | {tokens} | {_context_markdown(component, decode)} |"
            )
        sections.append(heading + "\n\n" + "\n".join(rows))
    return "\n\n".join(sections) + "\n"
