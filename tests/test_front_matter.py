"""The front-matter fast path gives exactly what PyYAML gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from notesgraph.parsing import parse_text
from notesgraph.parsing.front_matter import _FAST_FAILED, MAX_DEPTH, FrontMatterTooLarge, _simple, load_front_matter

DATA = Path(__file__).resolve().parent / "data"
_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)

TRICKY = [
    "title: A note\ntags:\n  - one\n  - two-words\npublish: true",
    "Tags: [seedling, concepts/core]\nAliases: [Data Lake, Lakes]\ncssclasses:\n- list-cards",
    "empty:\nnext: value",
    "on: yes\noff: no",  # keys YAML reads as booleans
    "key : spaced",
    "date: 2024-01-02\nversion: 1.10\ncount: 007\nhex: 0x1F",
    "url: https://example.org/a#b\nquote: 'single'\nother: \"double\"",
    "text: has # a comment\nweird: C#",
    "nested:\n  inner: 1",
    "multi: first line\n  continued here",
    "list:\n\t- tab indented",
    "flow: [a, , b]\nflow2: [a, [b]]",
    "a: Null\nb: ~\nc: TRUE\nd: Yes please",
    "anchor: &x value\nref: *x",
    "- a list\n- at the top",
    "title: Ünïcode starts\nname: 中文",
    "k: v\nk: again",
    "",
    "description: >\n  folded\n  text",
    "description: A tool for merging, cleaning [and] sorting {plugins}\ntitle: Programmers' Reference",
    "a: \"[[folder/note|Shown]]\"\nb: 'it''s'\nc: \"esc \\\" aped\"\nd: ''\ne: \"yes\"",
    "a: ends with colon:\nb: x",
    "a: inner: colon",
    "a: http://example.org:8080/x\nb: C# and F#\nc: tab\there",
    "a: 'unclosed\nb: \"also",
    "a: value # comment\nb: Ünïcode value, with comma",
    "list:\n  - First, second\n  - \"quoted item\"\n  - 'single item'\n  - [flow]",
    "a: non\u00a0breaking\nb: zero\u200bwidth",
]


def _yaml(raw: str):
    return yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _front_matters() -> list[str]:
    found = []
    for path in sorted(DATA.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n").lstrip("\ufeff")
        if text.startswith("---\n") and (end := _END.search(text, 4)):
            found.append(text[4:end.start()])
    return found


@pytest.mark.parametrize("raw", TRICKY)
def test_tricky_blocks_load_as_yaml_loads_them(raw: str) -> None:
    try:
        expected = _yaml(raw)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            load_front_matter(raw)
        return
    assert load_front_matter(raw) == expected


def test_every_front_matter_the_tests_have_loads_as_yaml_loads_it() -> None:
    blocks = _front_matters()
    assert len(blocks) > 400
    fast = 0
    for raw in blocks:
        try:
            expected = _yaml(raw)
        except yaml.YAMLError:
            continue
        assert load_front_matter(raw) == expected, raw
        fast += _simple(raw) is not _FAST_FAILED
    assert fast > len(blocks) / 2  # the fast path is the common one


def _alias_bomb(levels: int = 9) -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    last = chr(96 + levels)
    return "\n".join(lines + [f"title: *{last}", f"tags: *{last}"])


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    # 350 bytes that stand for 9^9 values: turned into text it took 49 s and 2.3 GB, then MemoryError.
    raw = _alias_bomb()
    assert len(raw) < 400
    with pytest.raises(FrontMatterTooLarge, match="more than 10,000 values"):
        load_front_matter(raw)
    note = parse_text(f"---\n{raw}\n---\n# Bomb\n\nBody.\n", "/x/bomb.md")
    assert note.title == "Bomb" and note.lede == "Body."
    assert any("10,000 values" in w.message and "ignored it" in w.message for w in note.warnings)


def test_small_aliases_still_load_as_yaml_loads_them() -> None:
    raw = "base: &b [one, two]\nother: *b\nmap: &m {k: v}\nagain: *m"
    assert load_front_matter(raw) == _yaml(raw)


def test_front_matter_nested_past_the_limit_is_refused() -> None:
    deep = "k: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    with pytest.raises(yaml.YAMLError):
        load_front_matter(deep)
    note = parse_text(f"---\n{deep}\n---\n# Deep\n", "/x/deep.md")
    assert note.title == "Deep" and note.warnings
