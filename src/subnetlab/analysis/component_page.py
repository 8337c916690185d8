"""A self-contained HTML page for reading the subcomponents of a language-model decomposition.

One file, inline CSS and JavaScript only: it opens by double-click, with no network and no server.
A header gives the run's summary numbers and one row per decomposed matrix; then one collapsible
section per matrix lists its alive subcomponents, most frequently firing first, each a closed
``<details>`` block holding its top tokens by mean causal importance and its top activating
contexts (the activating token outlined, every token shaded by the subcomponent's CI there).
A search box filters subcomponents by matrix name, ``#index`` or top tokens.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from subnetlab.analysis.component_contexts import ComponentContexts, ModuleContexts
from subnetlab.analysis.token_display import visible_text, visible_token

# Tokens in a component's summary line (the full list is inside its block).
_SUMMARY_TOKENS = 3
# Shades of the CI highlight; a token whose CI rounds to shade 0 is written as bare text, which
# keeps the many near-zero tokens of a context down to their own characters.
_SHADES = 10

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:1em 2em;color:#1d1d1d;background:#fff}
h1{font-size:1.4em;margin:.2em 0}
table{border-collapse:collapse;margin:.4em 0}
td,th{padding:1px 8px;text-align:right;border-bottom:1px solid #e4e4e4}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.note{color:#555;max-width:60em}
#bar{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ccc;z-index:1}
#q{width:32em;font-size:1em;padding:2px 6px}
details.m{margin:.8em 0}
details.m>summary{font-size:1.15em;font-weight:600;cursor:pointer}
details.m>summary .st{font-weight:400;color:#555;font-size:.85em}
details.c{margin:0 0 0 1.2em}
details.c>summary{font-family:ui-monospace,Menlo,Consolas,monospace;cursor:pointer;white-space:pre}
details.c[open]>summary{background:#f6f6f6}
.ix{display:inline-block;min-width:5.5em}
.fq{display:inline-block;min-width:6em;text-align:right}
.mc{display:inline-block;min-width:10em;color:#555}
.tt code{background:#eef;padding:0 3px;margin-right:4px}
.bd{margin:.3em 0 .8em 1.5em}
.bd code{white-space:pre}
.cx{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;margin:2px 0;
 padding:1px 4px;border-left:3px solid #ddd}
.cx i{font-style:normal}
.cx b{font-weight:700;outline:2px solid #c0392b;outline-offset:-1px}
"""

_JS = """
const q=document.getElementById('q'),shown=document.getElementById('shown');
function filter(){
  const terms=q.value.toLowerCase().split(/\\s+/).filter(Boolean);let total=0;
  for(const m of document.querySelectorAll('details.m')){
    let n=0;
    for(const c of m.querySelectorAll('details.c')){
      const tokens=c.dataset.t.split(' ');
      const ok=terms.every(t=>t[0]==='#'?t==='#'+c.dataset.i
        :t[0]==='='?tokens.includes(t.slice(1))
        :m.dataset.m.includes(t)||tokens.some(x=>x.includes(t)));
      c.hidden=!ok;if(ok)n++;
    }
    m.hidden=terms.length>0&&n===0;m.querySelector('.n').textContent=n;total+=n;
  }
  shown.textContent=total;
}
q.addEventListener('input',filter);
function openAll(open){
  for(const c of document.querySelectorAll('details.c'))if(!c.hidden)c.open=open;
}
document.getElementById('open').onclick=()=>openAll(true);
document.getElementById('close').onclick=()=>openAll(false);
filter();
"""


def _number(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def _shade(ci: float) -> int:
    return round(min(max(ci, 0.0), 1.0) * _SHADES)


def _shade_css() -> str:
    return "".join(
        f".s{level}{{background:rgba(255,140,0,{0.85 * level / _SHADES:.3f})}}"
        for level in range(1, _SHADES + 1)
    )


class _Decoder:
    """``decode`` called once per distinct token id (a tokenizer's decode can be slow)."""

    def __init__(self, decode: Callable[[int], str]) -> None:
        self._decode = decode
        self._cache: dict[int, str] = {}

    def __call__(self, token_id: int) -> str:
        if token_id not in self._cache:
            self._cache[token_id] = self._decode(token_id)
        return self._cache[token_id]


def _context_html(component: ComponentContexts, decode: _Decoder, max_contexts: int) -> str:
    lines = []
    for context in component.contexts[:max_contexts]:
        parts = []
        for slot, (token_id, ci) in enumerate(zip(context.token_ids, context.ci, strict=True)):
            text = decode(token_id)
            shade = _shade(ci)
            if slot == context.position:
                shown = html.escape(visible_token(text), quote=False)
                parts.append(f'<b class="s{shade}" title="CI {ci:.2f}">{shown}</b>')
            elif shade == 0:
                parts.append(html.escape(visible_text(text), quote=False))
            else:
                shown = html.escape(visible_text(text), quote=False)
                parts.append(f'<i class="s{shade}" title="{ci:.2f}">{shown}</i>')
        lines.append(f'<div class="cx">{"".join(parts)}</div>')
    return "".join(lines)


def _component_html(
    module_index: int,
    component: ComponentContexts,
    decode: _Decoder,
    max_contexts: int,
    max_top_tokens: int,
) -> str:
    tokens = component.top_tokens[:max_top_tokens]
    shown = [html.escape(visible_token(decode(stat.token_id)), quote=False) for stat in tokens]
    # visible tokens hold no spaces (drawn as ␣), so the script can split this list on them
    searched = " ".join(visible_token(decode(s.token_id)) for s in tokens).lower()
    rows = "".join(
        f"<tr><td><code>{text}</code></td><td>{stat.mean_ci:.3f}</td><td>{stat.count}</td>"
        f"<td>{stat.fires}</td></tr>"
        for text, stat in zip(shown, tokens, strict=True)
    )
    table = (
        '<table class="tk"><thead><tr><th>token</th><th>mean CI</th><th>count</th>'
        f"<th>fires</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>no token reaches the minimum count among those it fires on</p>"
    )
    summary_tokens = "".join(f"<code>{text}</code>" for text in shown[:_SUMMARY_TOKENS])
    return (
        f'<details class="c" id="m{module_index}c{component.index}" data-i="{component.index}" '
        f'data-t="{html.escape(searched, quote=True)}"><summary>'
        f'<span class="ix">#{component.index}</span>'
        f'<span class="fq">{100 * component.firing_frequency:.3g}%</span> '
        f'<span class="mc">mean CI {component.mean_ci:.3g}</span>'
        f'<span class="tt">{summary_tokens}</span></summary><div class="bd">{table}'
        f"{_context_html(component, decode, max_contexts)}</div></details>"
    )


def _module_html(
    module_index: int,
    module: ModuleContexts,
    decode: _Decoder,
    max_contexts: int,
    max_top_tokens: int,
) -> str:
    name = html.escape(module.name, quote=False)
    ordered = sorted(module.components, key=lambda c: (-c.firing_frequency, c.index))
    body = "".join(
        _component_html(module_index, c, decode, max_contexts, max_top_tokens) for c in ordered
    )
    return (
        f'<details class="m" id="m{module_index}" data-m="{html.escape(module.name.lower())}" '
        f"open><summary>{name} "
        f'<span class="st">alive {len(ordered)} / {module.n_components} · mean L0 '
        f'{module.mean_l0:.3g} · shown <span class="n">{len(ordered)}</span></span></summary>'
        f"{body or '<p>no alive subcomponents</p>'}</details>"
    )


def _check(
    modules: Sequence[ModuleContexts],
    summary: Mapping[str, float],
    max_contexts: int,
    max_top_tokens: int,
) -> None:
    names = [module.name for module in modules]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"module names must be distinct; repeated: {repeated}")
    readings = {(module.alive_threshold, module.n_positions) for module in modules}
    if len(readings) > 1:
        raise ValueError(
            "modules must come from one component_contexts call; got (alive_threshold, "
            f"n_positions) {sorted(readings)}"
        )
    for key, value in summary.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"summary[{key!r}] must be a number; got {value!r}")
    for key, count in (("max_contexts", max_contexts), ("max_top_tokens", max_top_tokens)):
        if count < 1:
            raise ValueError(f"{key} must be >= 1; got {count}")


def render_component_page(
    modules: Sequence[ModuleContexts],
    decode: Callable[[int], str],
    *,
    title: str,
    summary: Mapping[str, float],
    max_contexts: int,
    max_top_tokens: int,
) -> str:
    """The page's HTML text.

    Args:
        modules: ``component_contexts``'s result (one entry per decomposed matrix).
        decode: token id → its text; the page escapes it and draws whitespace visibly.
        title: the page's heading (e.g. the run's name).
        summary: name → number shown in the header (e.g. ``ce/target``, ``ce/ci_rounded``).
        max_contexts: activating contexts shown per subcomponent (caps the file's size).
        max_top_tokens: rows of each subcomponent's token table.

    Raises:
        ValueError: repeated module names, modules read at different thresholds or positions,
            a non-numeric summary value, or a cap below 1.
    """
    _check(modules, summary, max_contexts, max_top_tokens)
    decoder = _Decoder(decode)
    threshold = modules[0].alive_threshold if modules else 0.0
    n_positions = modules[0].n_positions if modules else 0
    summary_rows = "".join(
        f"<tr><td>{html.escape(key, quote=False)}</td><td>{_number(value)}</td></tr>"
        for key, value in summary.items()
    )
    overview_rows = "".join(
        f'<tr><td><a href="#m{i}">{html.escape(m.name, quote=False)}</a></td>'
        f"<td>{m.n_components}</td><td>{len(m.components)}</td><td>{m.mean_l0:.3g}</td></tr>"
        for i, m in enumerate(modules)
    )
    sections = "".join(
        _module_html(i, module, decoder, max_contexts, max_top_tokens)
        for i, module in enumerate(modules)
    )
    heading = html.escape(title, quote=False)
    summary_table = (
        f'<table class="sum"><tbody>{summary_rows}</tbody></table>' if summary_rows else ""
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{heading}</title><style>{_CSS}{_shade_css()}</style></head><body>"
        f"<h1>{heading}</h1>"
        f"{summary_table}"
        f'<p class="note">{n_positions} token positions. A subcomponent <em>fires</em> where its '
        f"causal importance (CI) exceeds {threshold:g}, and is alive if it fires anywhere; "
        "mean L0 is the mean number firing per position. Each line: index, firing frequency, "
        "mean CI, top tokens. Inside: tokens by mean CI (count: occurrences; fires: those with "
        "CI above the threshold) and the top activating contexts, the activating token "
        "outlined and every token shaded by the CI there (hover for the value); ↵ ⇥ ␣ mark a "
        "newline, a tab, a space.</p>"
        "<table><thead><tr><th>matrix</th><th>subcomponents</th><th>alive</th>"
        f"<th>mean L0</th></tr></thead><tbody>{overview_rows}</tbody></table>"
        '<div id="bar"><input id="q" type="search" placeholder="filter: part of a matrix name or '
        'top token, #index, =token (exact); all terms must match" '
        'aria-label="filter subcomponents"> '
        '<button id="open" type="button">open shown</button> '
        '<button id="close" type="button">close all</button> '
        '<span class="note"><span id="shown"></span> shown</span></div>'
        f"{sections}<script>{_JS}</script></body></html>\n"
    )


def write_component_page(
    path: str | Path,
    modules: Sequence[ModuleContexts],
    decode: Callable[[int], str],
    *,
    title: str,
    summary: Mapping[str, float],
    max_contexts: int,
    max_top_tokens: int,
) -> Path:
    """Write ``render_component_page``'s HTML to ``path`` (UTF-8) and return the path.

    Raises:
        ValueError: as ``render_component_page``.
    """
    page = render_component_page(
        modules,
        decode,
        title=title,
        summary=summary,
        max_contexts=max_contexts,
        max_top_tokens=max_top_tokens,
    )
    target = Path(path)
    target.write_text(page, encoding="utf-8")
    return target
