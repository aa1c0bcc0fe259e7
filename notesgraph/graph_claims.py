"""Claim nodes held as arrays: the bulk of a large graph's nodes, without a dict each.

Why: a generated 100k-note store has ~940k claims (9 a note) against ~430k other nodes. As
attribute dicts with their sentence as a Python string they cost ~350 bytes each (~0.33 GB)
and as fetched row tuples as much again while the graph is built. Here a claim is four
numbers and its sentence's UTF-8 bytes in one shared buffer (~115 bytes a claim at 100k);
`ClaimBlock.attrs` makes the `{"kind": "claim", "label": ...}` dict when a view asks for it.

`NodeAttrs` is the compact graph's node table: a dict for every other node, plus the block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import numpy as np

_PREFIX = "claim:"
_CHUNK = 65536  # rows a fetch: bounds the Python tuples alive at once while reading


class ClaimBlock:
    """Claims sorted by id: `ids`, `notes`, `positions`, `papers` (-1: none) and each claim's
    sentence as bytes `text[offsets[k]:offsets[k + 1]]`. Immutable once made."""

    def __init__(self, ids: np.ndarray, notes: np.ndarray, positions: np.ndarray,
                 papers: np.ndarray, text: bytes, offsets: np.ndarray) -> None:
        if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            raise ValueError("claims must come sorted by id, each once")
        self.ids, self.notes, self.positions, self.papers = ids, notes, positions, papers
        self.text, self.offsets = text, offsets

    @classmethod
    def empty(cls) -> ClaimBlock:
        zeros = np.zeros(0, dtype=np.int64)
        return cls(zeros, zeros, np.zeros(0, dtype=np.int32), zeros, b"", np.zeros(1, dtype=np.int64))

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int, int, str | bytes, int | None]]) -> ClaimBlock:
        """From (id, note id, position, sentence, paper id or None) rows in any order."""
        ordered = sorted(rows, key=lambda row: row[0])
        return cls._from_sorted([ordered])

    @classmethod
    def from_cursor(cls, cursor: Any) -> ClaimBlock:
        """From a cursor over (id, note id, position, sentence as bytes or str, paper id or
        None) rows in id order, fetched `_CHUNK` rows at a time (`Store.graph_claim_block`:
        ~2.5 s and ~0.12 GB at 940k claims)."""
        return cls._from_sorted(iter(lambda: cursor.fetchmany(_CHUNK), []))

    @classmethod
    def _from_sorted(cls, chunks: Iterable[list[tuple[Any, ...]]]) -> ClaimBlock:
        ids, notes, positions, papers, texts, lengths = [], [], [], [], [], []
        for chunk in chunks:
            if not chunk:
                continue
            columns = list(zip(*chunk))
            ids.append(np.array(columns[0], dtype=np.int64))
            notes.append(np.array(columns[1], dtype=np.int64))
            positions.append(np.array(columns[2], dtype=np.int32))
            encoded = [t if isinstance(t, bytes) else str(t).encode() for t in columns[3]]
            texts.append(b"".join(encoded))
            lengths.append(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
            papers.append(np.array([-1 if p is None else p for p in columns[4]], dtype=np.int64))
        if not ids:
            return cls.empty()
        offsets = np.zeros(sum(len(a) for a in lengths) + 1, dtype=np.int64)
        np.cumsum(np.concatenate(lengths), out=offsets[1:])
        return cls(np.concatenate(ids), np.concatenate(notes), np.concatenate(positions),
                   np.concatenate(papers), b"".join(texts), offsets)

    def __len__(self) -> int:
        return len(self.ids)

    def find(self, node: object) -> int:
        """The block position of node id "claim:<id>", or -1."""
        if not isinstance(node, str) or not node.startswith(_PREFIX) or not node[6:].isdigit():
            return -1
        ident = int(node[6:])
        k = int(np.searchsorted(self.ids, ident))
        return k if k < len(self.ids) and self.ids[k] == ident else -1

    def label(self, k: int) -> str:
        return self.text[self.offsets[k]:self.offsets[k + 1]].decode("utf-8", "replace")

    def attrs(self, k: int) -> dict[str, Any]:
        """A fresh attribute dict, as a claim node had before (`kind`, `label`)."""
        return {"kind": "claim", "label": self.label(k)}

    def node_ids(self) -> Iterator[str]:
        return (f"{_PREFIX}{i}" for i in self.ids.tolist())


class NodeAttrs(MutableMapping[str, dict[str, Any]]):
    """node id -> attribute dict: `plain` holds every node but the claims, `claims` those.
    Writes go to `plain` (run nodes come and go; claims change only with a rebuild)."""

    def __init__(self, plain: dict[str, dict[str, Any]] | None = None,
                 claims: ClaimBlock | None = None) -> None:
        self.plain: dict[str, dict[str, Any]] = plain if plain is not None else {}
        self.claims = claims if claims is not None else ClaimBlock.empty()

    def __getitem__(self, node: str) -> dict[str, Any]:
        attrs = self.plain.get(node)
        if attrs is not None:
            return attrs
        k = self.claims.find(node)
        if k < 0:
            raise KeyError(node)
        return self.claims.attrs(k)

    def __contains__(self, node: object) -> bool:
        return node in self.plain or self.claims.find(node) >= 0

    def __setitem__(self, node: str, attrs: dict[str, Any]) -> None:
        self.plain[node] = attrs

    def __delitem__(self, node: str) -> None:
        del self.plain[node]  # a claim cannot be removed alone: KeyError

    def __iter__(self) -> Iterator[str]:
        yield from self.plain
        yield from self.claims.node_ids()

    def __len__(self) -> int:
        return len(self.plain) + len(self.claims)

    def copy_with(self, nodes: Mapping[str, dict[str, Any]]) -> NodeAttrs:
        """A new table: these plain nodes, the same claims."""
        return NodeAttrs(dict(nodes), self.claims)
