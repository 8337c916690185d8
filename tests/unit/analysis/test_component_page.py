import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import torch

from subnetlab.analysis.component_contexts import component_contexts
from subnetlab.analysis.component_page import render_component_page, write_component_page

TEXT = "a<b & a\nx a<y"
VOCAB = sorted(set(TEXT))
VOID = {"meta", "input"}
TAGS = VOID | {"html", "head", "title", "style", "body", "h1", "p", "em", "table", "thead", "tbody"}
TAGS |= {"tr", "th", "td", "a", "div", "button", "span", "details", "summary", "code", "b", "i"}
TAGS |= {"script"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list["Node | str"] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find(self, tag: str, cls: str | None = None) -> list["Node"]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and (cls is None or child.attrs.get("class") == cls):
                    found.append(child)
                found.extend(child.find(tag, cls))
        return found


class StrictTreeParser(HTMLParser):
    """A tree of the page; fails on a closing tag that does not match the open one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    parser = StrictTreeParser()
    parser.feed(page)
    parser.close()
    assert parser.stack == [parser.root], "unclosed elements"
    return parser.root


def modules(alive_threshold: float = 0.1):
    tokens = torch.tensor([[VOCAB.index(c) for c in TEXT]])
    length = tokens.shape[1]
    ci = torch.zeros(1, length, 4)
    ci[0, :, 0] = (tokens[0] == VOCAB.index("a")).float()
    lt = (tokens[0] == VOCAB.index("<")).nonzero().squeeze(1)
    ci[0, lt, 1] = 0.6
    ci[0, lt + 1, 1] = 0.08  # the token after '<' is shaded, but below the threshold
    ci[0, :, 3] = (tokens[0] == VOCAB.index(" ")).float() * 0.8
    dead = torch.zeros(1, length, 3)
    return component_contexts(
        tokens,
        {"h.0.mlp": ci, "h.0.attn": dead},
        alive_threshold=alive_threshold,
        top_k=5,
        window=3,
        n_top_tokens=5,
        min_token_count=1,
    )


def render(**overrides) -> str:
    options: dict[str, Any] = dict(
        title="run <7>", summary={"ce/target": 3.25, "steps": 400}, max_contexts=10
    )
    options.update(overrides)
    return render_component_page(modules(), VOCAB.__getitem__, max_top_tokens=5, **options)


def components(root: Node) -> dict[tuple[str, str], Node]:
    return {
        (module.attrs["id"], component.attrs["data-i"]): component
        for module in root.find("details", "m")
        for component in module.find("details", "c")
    }


def test_the_page_holds_every_alive_component_and_no_dead_one() -> None:
    page = render()
    root = parse(page)
    ids = [n.attrs["id"] for n in root.find("details") if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    found = components(root)
    assert sorted(found) == [("m0", "0"), ("m0", "1"), ("m0", "3")]  # 2 and all of attn dead
    first, second = root.find("details", "m")
    assert "alive 3 / 4" in first.find("summary")[0].text()
    assert "no alive subcomponents" in second.text() and second.attrs["data-m"] == "h.0.attn"
    # most frequent first: 'a' and ' ' fire 3 times each (ties by index), '<' twice
    assert [c.attrs["data-i"] for c in first.find("details", "c")] == ["0", "3", "1"]
    assert "run <7>" in root.find("h1")[0].text() and "&lt;7&gt;" in page
    summary_rows = [
        [td.text() for td in tr.find("td")] for tr in root.find("table", "sum")[0].find("tr")
    ]
    assert summary_rows == [["ce/target", "3.25"], ["steps", "400"]]


def test_tokens_are_escaped_and_whitespace_is_visible() -> None:
    page = render()
    root = parse(page)
    # every '<' in the file opens a known tag: no token text leaked into markup
    for match in re.finditer(r"<(/?)([a-zA-Z0-9!]+)", page):
        assert match.group(2).lower() in TAGS | {"!doctype"}, page[match.start() : match.end() + 20]
    found = components(root)
    lt_contexts = found[("m0", "1")].find("div", "cx")
    assert [c.find("b")[0].text() for c in lt_contexts] == ["<", "<"]
    assert lt_contexts[0].text() == "a<b &"
    assert '<b class="s6" title="CI 0.60">&lt;</b>' in page and " &amp;</div>" in page
    shaded = lt_contexts[0].find("i")
    assert [(i.text(), i.attrs["class"], i.attrs["title"]) for i in shaded] == [("b", "s1", "0.08")]
    a_contexts = [c.text() for c in found[("m0", "0")].find("div", "cx")]
    assert a_contexts == ["a<b ", " & a↵x ", "↵x a<y"]
    assert all("\n" not in text for text in a_contexts)
    space_hits = [c.find("b")[0].text() for c in found[("m0", "3")].find("div", "cx")]
    assert space_hits == ["␣", "␣"]
    token_rows = [
        [td.text() for td in tr.find("td")] for tr in found[("m0", "1")].find("tbody")[0].find("tr")
    ]
    assert token_rows == [["<", "0.600", "2", "2"]]


def test_the_search_box_and_its_script_are_there() -> None:
    root = parse(render())
    (box,) = [n for n in root.find("input") if n.attrs.get("id") == "q"]
    assert box.attrs["type"] == "search"
    found = components(root)
    assert found[("m0", "0")].attrs["data-t"] == "a"
    assert found[("m0", "3")].attrs["data-t"] == "␣"
    (script,) = root.find("script")
    source = script.text()
    assert "addEventListener('input',filter)" in source
    node = shutil.which("node")
    if node is not None:  # a syntax error would leave the page without its search
        checked = subprocess.run(
            [node, "--check", "-"], input=source, text=True, capture_output=True
        )
        assert checked.returncode == 0, checked.stderr


def test_contexts_are_capped_and_the_written_file_opens(tmp_path: Path) -> None:
    root = parse(render(max_contexts=1))
    assert all(len(c.find("div", "cx")) == 1 for c in components(root).values())
    path = write_component_page(
        tmp_path / "components.html",
        modules(),
        VOCAB.__getitem__,
        title="t",
        summary={},
        max_contexts=2,
        max_top_tokens=1,
    )
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and parse(page).find("table", "sum") == []
    assert [len(c.find("div", "cx")) for c in components(parse(page)).values()] == [2, 2, 2]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"summary": {"ce": "low"}}, r"summary\['ce'\] must be a number"),
        ({"max_contexts": 0}, "max_contexts must be >= 1"),
    ],
)
def test_bad_arguments_are_named(overrides, message) -> None:
    with pytest.raises(ValueError, match=message):
        render(**overrides)
    with pytest.raises(ValueError, match="repeated"):
        render_component_page(
            modules() * 2, str, title="t", summary={}, max_contexts=1, max_top_tokens=1
        )
    (mlp, _), (_, attn) = modules(), modules(alive_threshold=0.5)
    with pytest.raises(ValueError, match="one component_contexts call"):
        render_component_page(
            [mlp, attn], str, title="t", summary={}, max_contexts=1, max_top_tokens=1
        )
