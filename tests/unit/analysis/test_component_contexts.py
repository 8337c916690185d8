from typing import Any

import pytest
import torch

import subnetlab.analysis.component_contexts as contexts_module
from subnetlab.analysis.component_contexts import component_contexts

TEXT = "the cat sat on a mat and a dog ate a bat"
VOCAB = sorted(set(TEXT))


def encode(text: str) -> torch.Tensor:
    return torch.tensor([VOCAB.index(char) for char in text])


def decode(ids: tuple[int, ...]) -> str:
    return "".join(VOCAB[i] for i in ids)


def read(tokens: torch.Tensor, ci: dict[str, torch.Tensor], **overrides):
    options: dict[str, Any] = dict(
        alive_threshold=0.1, top_k=20, window=2, n_top_tokens=5, min_token_count=1
    )
    options.update(overrides)
    return component_contexts(tokens, ci, **options)


def test_a_component_firing_exactly_on_one_token_reads_as_that_token() -> None:
    tokens = encode(TEXT).view(1, -1)
    is_a = tokens == VOCAB.index("a")
    ci = torch.zeros(1, tokens.shape[1], 2)
    ci[..., 1] = is_a.float()
    (module,) = read(tokens, {"mlp": ci}, window=3)
    (component,) = module.components  # component 0 never fires: dead, left out
    n_a, n_positions = int(is_a.sum()), tokens.numel()
    assert (module.n_components, module.n_positions) == (2, n_positions)
    assert component.index == 1
    assert component.firing_frequency == n_a / n_positions == module.mean_l0
    assert component.mean_ci == pytest.approx(n_a / n_positions)
    assert component.max_ci == 1.0
    # every other token has CI 0 everywhere, so it never fires and is not ranked
    (stat,) = component.top_tokens
    assert (VOCAB[stat.token_id], stat.mean_ci, stat.count, stat.fires) == ("a", 1.0, n_a, n_a)
    # every context is centred on an 'a' and is the text around it
    assert component.contexts
    for context in component.contexts:
        assert VOCAB[context.token_ids[context.position]] == "a"
        assert context.ci[context.position] == 1.0
        start = context.offset - context.position
        assert decode(context.token_ids) == TEXT[start : start + len(context.token_ids)]
        assert context.ci == tuple(float(TEXT[start + i] == "a") for i in range(len(context.ci)))
    # ties at CI 1: a position counts only if no 'a' lies within 3 tokens to its left, so of
    # "a mat a" (15, 18, 21) only 15 is a context; kept contexts are more than the window apart
    assert [i for i, c in enumerate(TEXT) if c == "a"] == [5, 9, 15, 18, 21, 25, 31, 35, 38]
    assert sorted(context.offset for context in component.contexts) == [5, 9, 15, 25, 31, 35]


def test_one_burst_of_firing_gives_one_context_at_its_peak() -> None:
    tokens = torch.arange(20).view(1, 20)
    ci = torch.zeros(1, 20, 1)
    ci[0, 3:8, 0] = torch.tensor([0.3, 0.6, 0.9, 0.6, 0.3])  # a burst peaking at 5
    ci[0, 15, 0] = 0.5
    (module,) = read(tokens, {"m": ci}, window=2, n_top_tokens=3)
    (component,) = module.components
    assert [c.offset for c in component.contexts] == [5, 15]  # highest CI first
    first = component.contexts[0]
    assert first.token_ids == (3, 4, 5, 6, 7) and first.position == 2
    assert first.ci == pytest.approx((0.3, 0.6, 0.9, 0.6, 0.3))
    # tokens ranked by mean CI among those it fires on; each token id occurs once here
    assert [s.token_id for s in component.top_tokens] == [5, 4, 6]
    assert component.firing_frequency == 6 / 20
    # without suppression every firing position is its own context
    (module,) = read(tokens, {"m": ci}, window=0)
    assert [c.offset for c in module.components[0].contexts] == [5, 4, 6, 15, 3, 7]
    assert all(c.token_ids == (c.offset,) for c in module.components[0].contexts)


def test_contexts_stop_at_sequence_edges_and_top_k_caps_them() -> None:
    tokens = torch.arange(12).view(2, 6)
    ci = torch.zeros(2, 6, 1)
    ci[0, 5, 0] = 0.9  # last position of row 0
    ci[1, 0, 0] = 0.8  # first position of row 1
    ci[1, 3, 0] = 0.7
    (module,) = read(tokens, {"m": ci}, window=2)
    end, start, middle = module.components[0].contexts
    assert (end.token_ids, end.position, end.sequence, end.offset) == ((3, 4, 5), 2, 0, 5)
    assert (start.token_ids, start.position, start.sequence, start.offset) == ((6, 7, 8), 0, 1, 0)
    assert middle.token_ids == (7, 8, 9, 10, 11) and middle.position == 2
    assert end.ci == pytest.approx((0.0, 0.0, 0.9))
    (module,) = read(tokens, {"m": ci}, window=2, top_k=2)
    assert [c.offset for c in module.components[0].contexts] == [5, 0]


def test_firing_needs_ci_above_the_threshold_and_components_sort_by_frequency() -> None:
    tokens = torch.zeros(1, 10, dtype=torch.long)
    ci = torch.zeros(1, 10, 4)
    ci[0, :2, 0] = 0.5  # fires twice
    ci[0, :, 1] = 0.1  # exactly at the threshold everywhere: never fires, dead
    ci[0, :5, 2] = 0.2  # fires five times
    ci[0, :2, 3] = 0.9  # fires twice, ties with component 0
    (module,) = read(tokens, {"m": ci})
    assert [c.index for c in module.components] == [2, 0, 3]
    assert [c.firing_frequency for c in module.components] == [0.5, 0.2, 0.2]
    assert module.mean_l0 == pytest.approx(0.9)
    assert module.components[0].mean_ci == pytest.approx(0.1)


def test_rare_tokens_are_not_ranked() -> None:
    tokens = torch.tensor([[1, 2, 2, 2, 1, 3]])
    ci = torch.tensor([[0.0, 0.4, 0.4, 0.1, 0.0, 1.0]]).unsqueeze(-1)
    (module,) = read(tokens, {"m": ci}, alive_threshold=0.0, min_token_count=2)
    # token 3 has the highest CI but occurs once; token 1 never fires
    (stat,) = module.components[0].top_tokens
    assert (stat.token_id, stat.count, stat.fires) == (2, 3, 3)
    assert stat.mean_ci == pytest.approx(0.3)
    (module,) = read(tokens, {"m": ci}, alive_threshold=0.0, min_token_count=1)
    assert [s.token_id for s in module.components[0].top_tokens] == [3, 2]


def test_dead_and_empty_modules_keep_their_place() -> None:
    tokens = torch.zeros(2, 3, dtype=torch.long)
    ci = {"dead": torch.zeros(2, 3, 5), "empty": torch.zeros(2, 3, 0), "live": torch.ones(2, 3, 1)}
    dead, empty, live = read(tokens, ci)
    assert (dead.name, dead.n_components, dead.components, dead.mean_l0) == ("dead", 5, (), 0.0)
    assert (empty.n_components, empty.components) == (0, ())
    assert live.name == "live" and live.mean_l0 == 1.0
    # with CI 1 everywhere each row has one peak (its first position)
    assert [(c.sequence, c.offset) for c in live.components[0].contexts] == [(0, 0), (1, 0)]


def test_blocks_of_subcomponents_give_the_same_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 7, (3, 16), generator=generator)
    ci = torch.rand(3, 16, 9, generator=generator) ** 4
    ci[..., 4] = 0.0
    options: dict[str, Any] = dict(
        alive_threshold=0.3, top_k=3, window=2, n_top_tokens=4, min_token_count=2
    )
    whole = component_contexts(tokens, {"m": ci, "half": ci.half()}, **options)
    monkeypatch.setattr(contexts_module, "_BLOCK_ELEMENTS", 2 * 48)  # two subcomponents a block
    blocked = component_contexts(tokens, {"m": ci, "half": ci.half()}, **options)
    assert blocked == whole
    assert 4 not in [c.index for c in whole[0].components]
    assert len(whole[0].components) == 8


@pytest.mark.parametrize(
    ("tokens", "ci", "overrides", "message"),
    [
        (torch.zeros(2, 3), {"m": torch.zeros(2, 3, 1)}, {}, "tokens must be an"),
        (torch.zeros(0, 3, dtype=torch.long), {"m": torch.zeros(0, 3, 1)}, {}, "at least one"),
        (torch.zeros(2, 3, dtype=torch.long), {}, {}, "at least one module"),
        (torch.zeros(2, 3, dtype=torch.long), {"m": torch.zeros(2, 4, 1)}, {}, r"ci\['m'\]"),
        (torch.zeros(2, 3, dtype=torch.long), {"m": torch.zeros(2, 3, 1).long()}, {}, "floating"),
        (
            torch.zeros(2, 3, dtype=torch.long),
            {"m": torch.full((2, 3, 1), float("nan"))},
            {},
            "NaN or infinite",
        ),
        (torch.zeros(2, 3, dtype=torch.long), {"m": torch.zeros(2, 3, 1)}, {"top_k": 0}, "top_k"),
        (
            torch.zeros(2, 3, dtype=torch.long),
            {"m": torch.zeros(2, 3, 1)},
            {"alive_threshold": 1.0},
            "alive_threshold",
        ),
        (
            torch.zeros(2, 3, dtype=torch.long),
            {"m": torch.zeros(2, 3, 1)},
            {"window": -1},
            "window",
        ),
    ],
)
def test_bad_input_is_named(tokens, ci, overrides, message) -> None:
    with pytest.raises(ValueError, match=message):
        read(tokens, ci, **overrides)
