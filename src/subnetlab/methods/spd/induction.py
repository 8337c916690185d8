"""Which SPD subcomponents of an attention-only target carry the previous-token mechanism and
which the induction mechanism: the acceptance criterion of ``experiment=spd_induction_head``.

Plain torch on the decomposition's outputs (causal importances, V and U), no SPD internals.

The mechanism (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits",
§"Induction heads"; Olsson et al. 2022, arXiv:2209.11895, §2): a previous-token head in layer 0
writes "the token before me" into every position; an induction head in layer 1 matches the
current token against it, attends to the position after the earlier occurrence and copies that
token. What each part needs, position by position, fixes what SPD's causal importance (CI; SPD,
arXiv:2506.20790, §2) can show:

- The previous-token head must run at every position: in a causal model, position s + 1 cannot
  know whether a later query will look for it. Its subcomponents are therefore causally important
  also where induction does not apply.
- The induction head's query/output side (q and o of layer 1) only matters where the current
  token occurred before, and o's input there (one sharply attended value) differs from its input
  elsewhere (a diffuse mixture); a duplicate-token head in layer 0, which the default target
  grows beside its previous-token head, even tells q which positions are repeats. So these
  subcomponents can be important where induction applies and unimportant elsewhere. Its
  key/value side runs where the earlier occurrences are, i.e. where induction does not apply.

The criterion (``split_mechanisms``), per subcomponent c of every decomposed matrix, with
``on_c`` its mean CI where induction applies (``induction_mask``) and ``off_c`` its mean CI where
it does not, compared at equal positions (``mean_ci_by_position_kind``):

- c carries the **induction** mechanism iff ``on_c ≥ active`` and ``on_c ≥ selectivity · off_c``
  (used where induction applies, and at least ``selectivity`` times as much as elsewhere) and,
  when head attributions are given, at least ``head_share`` of its mass lies in the matrix's
  induction heads;
- c carries the **previous-token** mechanism iff ``off_c ≥ active`` (used where induction does not
  apply) and, when head attributions are given, at least ``head_share`` of its mass lies in the
  matrix's previous-token heads.

It passes iff both sets are non-empty and disjoint. Thresholds: ``active = 0.1``, SPD's usual CI
threshold for "active" (``method.ci_threshold``); ``selectivity = 2``: an indifferent
subcomponent has on ≈ off (ratio 1, and means over thousands of positions carry little noise),
so a ratio of 2 (two thirds of its per-position importance on induction positions) is clearly
selective without demanding a perfect gate; ``head_share = 0.5``: most of the subcomponent's
rank-one mass lies in heads of that role.

What each check catches. Non-emptiness: a decomposition that found no induction-selective
subcomponent (CI on everywhere, or dead) or no live previous-token subcomponent fails.
Disjointness: without head attributions, the previous-token set is every subcomponent active
where induction does not apply (the key/value side of induction heads included), so an overlap
is a subcomponent that works everywhere yet is concentrated on induction positions: one
subcomponent mixing always-on work with induction-specific work. With head attributions each set
is confined to heads of its role; in the 2-layer target those lie in different layers, so there
an overlap needs a subcomponent spread over a previous-token head and an induction head of one
layer, and the checks with teeth are the non-empty ones.

Measured on a draft ``experiment=spd_induction_head`` run (5000 steps; CE 2.767 with CI-rounded
masks against the target's 2.763): with head attributions it passes, with 45 previous-token
subcomponents (all four layer-0 matrices, off 0.10–0.82) and 77 induction ones (layer-1 q and o,
on 0.11–0.80 against off ≤ 0.09); from CI alone it fails on one layer-0 o subcomponent (on
0.54, off 0.24) whose mass is split 0.64 / 0.36 between the previous-token head and the
duplicate-token head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch

from subnetlab.analysis.induction_heads import induction_positions

#: which features of a matrix a head owns: q, k, v write the heads' features (their outputs),
#: o reads them (its inputs)
HeadSide = Literal["output", "input"]

#: (decomposed matrix name, subcomponent index)
Subcomponent = tuple[str, int]


def head_attribution(
    V: torch.Tensor, U: torch.Tensor, n_heads: int, side: HeadSide
) -> torch.Tensor:
    """(C, H): the share of each subcomponent's rank-one matrix that lies in each head's slice.

    Subcomponent c is the matrix V[:, c] U[c, :] (d_in × d_out, the target's Wᵀ ≈ V U). For q, k
    and v (``side="output"``) head h owns output features h·d_head … (h+1)·d_head − 1, so its
    share is ‖U[c, slice_h]‖² / ‖U[c]‖² (the squared Frobenius norm of the part of the rank-one
    matrix in those columns over the whole); for o (``side="input"``) head h owns those input
    features and the share is ‖V[slice_h, c]‖² / ‖V[:, c]‖². Rows sum to 1, except for a
    subcomponent whose vector on that side is zero (all shares 0).

    V: (d_in, C); U: (C, d_out).

    Raises:
        ValueError: V and U disagree on C, or the head side's width is not divisible by n_heads.
    """
    if V.dim() != 2 or U.dim() != 2 or V.shape[1] != U.shape[0]:
        raise ValueError(
            f"V {tuple(V.shape)} and U {tuple(U.shape)} must be (d_in, C) and (C, d_out)"
        )
    if side not in ("output", "input"):
        raise ValueError(f"side={side!r} must be 'output' (q, k, v) or 'input' (o)")
    per_feature = U.square() if side == "output" else V.T.square()  # (C, features)
    width = per_feature.shape[1]
    if n_heads < 1 or width % n_heads:
        raise ValueError(f"n_heads={n_heads} does not divide the {side} width {width}")
    per_head = per_feature.reshape(per_feature.shape[0], n_heads, width // n_heads).sum(-1)
    total = per_head.sum(-1, keepdim=True)
    return torch.where(total > 0, per_head / total.clamp_min(torch.finfo(total.dtype).tiny), 0.0)


def mean_ci_by_position_kind(
    causal_importance: torch.Tensor, induction_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(on (C,), off (C,)): each subcomponent's mean CI where induction applies and where it does
    not, compared at equal positions.

    For every position t that is an induction position in some sequences and not in others,
    ``on_t`` is the mean CI over the sequences where it is and ``off_t`` over the rest; ``on`` and
    ``off`` average these over such t. Comparing at equal t matters: the repeat lies late in a
    sequence more often than early, and some subcomponents (the previous-token head's positional
    query and key) depend on the position, so a plain mean over all induction positions against
    all others would call them induction-selective.

    causal_importance: (N, T, C); induction_mask: (N, T) bool.

    Raises:
        ValueError: shapes that do not match, or no position that is an induction position in
            some sequences and not in others.
    """
    if causal_importance.dim() != 3 or causal_importance.shape[:2] != induction_mask.shape:
        raise ValueError(
            f"causal importance {tuple(causal_importance.shape)} must be (N, T, C) with (N, T) "
            f"the induction mask's shape {tuple(induction_mask.shape)}"
        )
    on_mask = induction_mask.bool()[:, :, None].to(causal_importance.dtype)  # (N, T, 1)
    on_count, off_count = on_mask.sum(0), (1 - on_mask).sum(0)  # (T, 1)
    both = (on_count > 0) & (off_count > 0)
    if not both.any():
        raise ValueError(
            "the induction mask needs a position that is an induction position in some sequences "
            "and not in others"
        )
    on_at = (causal_importance * on_mask).sum(0) / on_count.clamp_min(1)  # (T, C)
    off_at = (causal_importance * (1 - on_mask)).sum(0) / off_count.clamp_min(1)
    positions = both[:, 0]
    return on_at[positions].mean(0), off_at[positions].mean(0)


@dataclass(frozen=True)
class MatrixEvidence:
    """What the criterion reads about one decomposed attention matrix.

    ``causal_importance``: (N, T, C) CI of its subcomponents at every position. Optional head
    information: ``head_attribution`` (C, H) from ``head_attribution``, and which heads of this
    matrix's layer are previous-token heads and which are induction heads (e.g. the heads whose
    ``analysis.induction_heads`` scores exceed 0.5 on the target).
    """

    causal_importance: torch.Tensor
    head_attribution: torch.Tensor | None = None
    previous_token_heads: Sequence[int] = ()
    induction_heads: Sequence[int] = ()


@dataclass(frozen=True)
class MechanismThresholds:
    """The criterion's thresholds (see the module docstring for why these values)."""

    active: float = 0.1
    selectivity: float = 2.0
    head_share: float = 0.5


@dataclass(frozen=True)
class MechanismSplit:
    """The subcomponents found to carry each mechanism, and each matrix's mean CI where
    induction applies (``on``) and elsewhere (``off``), (C,) each, for reports."""

    previous_token: frozenset[Subcomponent]
    induction: frozenset[Subcomponent]
    on: dict[str, torch.Tensor] = field(default_factory=dict)
    off: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def overlap(self) -> frozenset[Subcomponent]:
        """Subcomponents counted for both mechanisms."""
        return self.previous_token & self.induction

    @property
    def passed(self) -> bool:
        """Both mechanisms found, in disjoint subcomponents."""
        return bool(self.previous_token) and bool(self.induction) and not self.overlap


def _share(evidence: MatrixEvidence, heads: Sequence[int], name: str) -> torch.Tensor | None:
    """(C,) mass share of each subcomponent in ``heads``; None without attributions."""
    attribution = evidence.head_attribution
    if attribution is None:
        return None
    n_subcomponents = evidence.causal_importance.shape[-1]
    if attribution.dim() != 2 or attribution.shape[0] != n_subcomponents:
        raise ValueError(
            f"{name}: head attribution {tuple(attribution.shape)} must be (C, H) with "
            f"C = {n_subcomponents}"
        )
    bad = [h for h in heads if not 0 <= h < attribution.shape[1]]
    if bad:
        raise ValueError(f"{name}: heads {bad} are outside 0 … {attribution.shape[1] - 1}")
    return attribution[:, list(heads)].sum(-1)


def split_mechanisms(
    matrices: Mapping[str, MatrixEvidence],
    induction_mask: torch.Tensor,
    thresholds: MechanismThresholds = MechanismThresholds(),
) -> MechanismSplit:
    """Which subcomponents carry the previous-token and the induction mechanism, by the criterion
    of the module docstring.

    matrices: decomposed matrix name → its evidence (CI (N, T, C), optional head attribution);
    induction_mask: (N, T) bool, True where induction predicts the next token (e.g.
    ``analysis.induction_heads.induction_positions``).

    Raises:
        ValueError: no matrices, shapes that do not match, a mask without a position that is an
            induction position in some sequences only, head indices outside a matrix's
            attribution, or a head given both roles.
    """
    if not matrices:
        raise ValueError("no decomposed matrices given")
    previous_token: set[Subcomponent] = set()
    induction: set[Subcomponent] = set()
    on_by_matrix, off_by_matrix = {}, {}
    for name, evidence in matrices.items():
        both = sorted(set(evidence.previous_token_heads) & set(evidence.induction_heads))
        if both:
            raise ValueError(
                f"{name}: heads {both} are listed as previous-token and induction heads"
            )
        on, off = mean_ci_by_position_kind(evidence.causal_importance, induction_mask)
        on_by_matrix[name], off_by_matrix[name] = on, off
        is_induction = (on >= thresholds.active) & (on >= thresholds.selectivity * off)
        is_previous = off >= thresholds.active
        induction_share = _share(evidence, evidence.induction_heads, name)
        previous_share = _share(evidence, evidence.previous_token_heads, name)
        if induction_share is not None and previous_share is not None:
            is_induction &= induction_share >= thresholds.head_share
            is_previous &= previous_share >= thresholds.head_share
        induction.update((name, int(c)) for c in is_induction.nonzero().flatten())
        previous_token.update((name, int(c)) for c in is_previous.nonzero().flatten())
    return MechanismSplit(
        frozenset(previous_token), frozenset(induction), on_by_matrix, off_by_matrix
    )


@dataclass(frozen=True)
class InductionEvidenceSource:
    """What ``mechanism_evidence`` needs from a run: the evaluation windows, the decomposed
    attention matrices' CI there and their factors, and the target's head scores."""

    tokens: torch.Tensor  # (N, T) long
    causal_importance: Mapping[str, torch.Tensor]  # name → (N, T, C)
    factors: Mapping[str, tuple[torch.Tensor, torch.Tensor]]  # name → (V (d_in, C), U (C, d_out))
    previous_token_scores: torch.Tensor  # (n_layers, H)
    induction_scores: torch.Tensor  # (n_layers, H)
    n_heads: int


#: a head whose score exceeds this plays that role (most of its attention goes where the role
#: says: to t − 1, or to the token after the earlier occurrence)
HEAD_ROLE_SCORE = 0.5


def mechanism_evidence(
    source: InductionEvidenceSource, thresholds: MechanismThresholds = MechanismThresholds()
) -> MechanismSplit:
    """``split_mechanisms`` on a decomposition of an attention-only target whose matrices are
    named ``blocks.<layer>.attn.<q|k|v|o>``: head attributions from the factors (o reads the
    heads' features, q/k/v write them), the heads of each role from the target's scores
    (> ``HEAD_ROLE_SCORE``), and the induction positions of the windows (the next token is the
    window's own next token, so the last position is left out).

    Raises:
        ValueError: a matrix name without a layer index (``blocks.<i>.``).
    """
    tokens = source.tokens
    induction_mask = induction_positions(tokens[:, :-1], tokens[:, 1:])
    matrices = {}
    for name, ci in source.causal_importance.items():
        parts = name.split(".")
        if len(parts) < 3 or parts[0] != "blocks" or not parts[1].isdigit():
            raise ValueError(f"{name}: expected an attention matrix named blocks.<layer>.attn.*")
        layer = int(parts[1])
        V, U = source.factors[name]
        side: HeadSide = "input" if parts[-1] == "o" else "output"
        matrices[name] = MatrixEvidence(
            ci[:, :-1],
            head_attribution(V, U, source.n_heads, side),
            previous_token_heads=_heads_over(source.previous_token_scores[layer]),
            induction_heads=_heads_over(source.induction_scores[layer]),
        )
    return split_mechanisms(matrices, induction_mask, thresholds)


def _heads_over(scores: torch.Tensor) -> list[int]:
    return [h for h, score in enumerate(scores.tolist()) if score > HEAD_ROLE_SCORE]
