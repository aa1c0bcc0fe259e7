"""Front matter as YAML reads it, with a fast path for the simple blocks most notes have.

Vault notes nearly all start with a few `key: value` lines and lists of plain words
(`tags:` then `  - seedling`, or `Tags: [seedling]`). PyYAML, even with libyaml, builds those
at ~0.2 ms a note, a tenth of a note's whole indexing time. `load_front_matter` reads such a
block directly and hands anything else (quotes, nesting, anchors, numbers, dates, comments,
block scalars) to PyYAML, so the result is always what `yaml.safe_load` gives (checked over
every front matter the tests have, in tests/test_front_matter.py).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY_VALUE = re.compile(r"([A-Za-z_](?:[\w -]*[\w-])?):(?: +(.*?))? *$")
_ITEM = re.compile(r" *- +(.*?) *$")
_PLAIN = re.compile(r"[A-Za-z_][^:#\[\]{},\"'`|>&*!%@]*")
"""A scalar that YAML reads as a string as written, inside a flow list too: starts with a
letter, none of the characters that would make it something else or end it."""
_BLOCK_PLAIN = re.compile(r"[^\W\d](?:[^:#\t]|:(?! )|(?<! )#)*(?<!:)")
"""The same outside a flow list (a value on its own line), where `,[]{}'"` and the other
indicators only matter as the first character: "A tool for merging, cleaning and sorting"."""
_QUOTED = re.compile(r"\"[^\"\\]*\"|'[^']*'")
"""A quoted string with no escapes: the text between the quotes."""
_BOOLS = {word: value for words, value in (("yes Yes YES true True TRUE on On ON", True),
                                            ("no No NO false False FALSE off Off OFF", False))
          for word in words.split()}
_NULLS = frozenset({"null", "Null", "NULL", "~"})
_FAST_FAILED = object()


def _scalar(text: str, flow: bool = True) -> Any:
    """The value of a scalar in a flow list (`flow`) or on its own, or _FAST_FAILED when only
    YAML can tell."""
    if text in _BOOLS:
        return _BOOLS[text]
    if text in _NULLS:
        return None
    if not text.isprintable():  # YAML refuses some characters, folds or reads others
        return _FAST_FAILED
    if not flow and _QUOTED.fullmatch(text):
        return text[1:-1]
    if not (_PLAIN if flow else _BLOCK_PLAIN).fullmatch(text) or text.endswith((" ", "\t")) or " #" in text:
        return _FAST_FAILED
    return text


def _flow_list(text: str) -> Any:
    """`[a, b]` of plain words, or _FAST_FAILED."""
    inner = text[1:-1].strip()
    if not inner:
        return []
    items = [_scalar(part.strip()) for part in inner.split(",")]
    return _FAST_FAILED if any(item is _FAST_FAILED or item is None for item in items) else items


def _simple(raw: str) -> Any:
    """The mapping of a simple front matter block, or _FAST_FAILED."""
    data: dict[str, Any] = {}
    key: str | None = None  # the key whose block list is being read
    for line in raw.split("\n"):
        if not line.strip():
            continue
        if (item := _ITEM.fullmatch(line)) is not None and key is not None:
            value = _scalar(item.group(1), flow=False)
            if value is _FAST_FAILED or value is None:
                return _FAST_FAILED
            data[key].append(value)
            continue
        match = _KEY_VALUE.fullmatch(line)
        if match is None or match.group(1) in _BOOLS or match.group(1) in _NULLS:
            return _FAST_FAILED
        name, text = match.group(1), match.group(2) or ""
        if key is not None and not data[key]:
            data[key] = None  # `key:` with no list under it
        key = None
        if not text:
            data[name], key = [], name
        elif text.startswith("[") and text.endswith("]"):
            data[name] = _flow_list(text)
        else:
            data[name] = _scalar(text, flow=False)
        if data[name] is _FAST_FAILED:
            return _FAST_FAILED
    if key is not None and not data[key]:
        data[key] = None
    return data or _FAST_FAILED  # nothing but blank lines: YAML says None


MAX_VALUES = 10_000
"""Values (scalars, lists and mappings, counted as if every alias were written out) a front
matter may hold: notes have tens. A 350-byte block of nested aliases stands for 10^9 values,
and turning that into text took minutes and gigabytes before failing."""
MAX_DEPTH = 100
"""Nesting a front matter may have: notes have two or three levels."""


class FrontMatterTooLarge(yaml.YAMLError):
    """Front matter that would expand past MAX_VALUES or nest past MAX_DEPTH."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


def _check_expansion(root: yaml.Node) -> None:
    """Raise FrontMatterTooLarge when the node graph, aliases expanded, is too big or deep.

    Aliases share nodes, so each node's expanded size is computed once: O(nodes + edges)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise FrontMatterTooLarge(f"nested deeper than {MAX_DEPTH} levels", node.start_mark)
        if id(node) in size:
            continue
        children = _children(node)
        if not children_done and children:
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in children if id(child) not in size)
            continue
        total = 1 + sum(size[id(child)] for child in children)
        if total > MAX_VALUES:
            raise FrontMatterTooLarge(f"holds more than {MAX_VALUES:,} values once its aliases (*name) "
                                      "are expanded", node.start_mark)
        size[id(node)] = total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load_bounded(raw: str) -> Any:
    """yaml.safe_load with the expansion checked before any Python object is built."""
    loader = _LOADER(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except RecursionError:  # PyYAML's pure-Python composer, without libyaml's depth limit
        raise FrontMatterTooLarge(f"nested deeper than {MAX_DEPTH} levels", None) from None
    finally:
        loader.dispose()


def load_front_matter(raw: str) -> Any:
    """What `yaml.safe_load(raw)` returns (raises yaml.YAMLError as it does), faster for the
    simple blocks notes usually have, and refusing (FrontMatterTooLarge, a YAMLError) a block
    whose aliases expand past MAX_VALUES values or that nests past MAX_DEPTH. O(len(raw))."""
    fast = _simple(raw)
    if fast is not _FAST_FAILED:
        return fast
    return _load_bounded(raw)
