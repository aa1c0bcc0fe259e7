"""Related items, semantic and hybrid search, and our own ranking of a note's papers.

Everything ranks by cosine similarity between stored passage vectors (see
`notesgraph.passages`): an item's score against another is the cosine of their best-matching
pair of passages, and that pair is shown as the *why*. Only `search` and `hybrid_search`
need the model (to embed the query); `related`, `paper_ranking` and `similar_pairs` work
from the stored vectors alone and never import torch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from notesgraph import annindex
from notesgraph.embeddings import Encoder, ModelError
from notesgraph.model import split_item_id
from notesgraph.passages import MAX_PASSAGE_CHARS, collect_passages, part_label
from notesgraph.store import Store
from notesgraph.vectorindex import Hit, VectorIndex

RRF_K = 60
"""Reciprocal rank fusion constant (Cormack et al. 2009): a hit at rank r adds 1 / (60 + r)."""


class NotEmbedded(LookupError):
    """Nothing (or not this item) has a vector yet; the message says what to run."""


@dataclass(frozen=True)
class Why:
    """The pair of passages that matched best: one of the query item (or the query text)
    and one of the match, each named ("title + lede", "paragraph 3", ...) and quoted."""

    query_part: str
    query_text: str
    match_part: str
    match_text: str


@dataclass(frozen=True)
class Match:
    """A ranked item: its id, kind, title, cosine score and why."""

    item: str
    kind: str
    title: str
    score: float
    why: Why


@dataclass(frozen=True)
class FusedMatch:
    """A hybrid search result: fused score, the rank it had in each list (None when
    absent), its cosine and its full-text snippet when it had them."""

    item: str
    kind: str
    title: str
    score: float
    semantic_rank: int | None
    text_rank: int | None
    cosine: float | None
    snippet: str


@dataclass(frozen=True)
class RankedPaper:
    """A paper a note lists: the note's rank for it beside ours (None: no vector)."""

    item: str
    title: str
    given_rank: int
    our_rank: int | None
    score: float | None
    why: Why | None


@dataclass(frozen=True)
class PaperRanking:
    """A note's papers in its given order with our cosine ranking beside it, and the
    Spearman rank correlation of the two orders (None with fewer than two ranked papers)."""

    note: str
    title: str
    papers: list[RankedPaper]
    spearman: float | None


def rank_correlation(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Spearman's rho between two rankings of the same things (ties get average ranks);
    None for fewer than two items or a constant ranking.

    >>> rank_correlation([1, 2, 3, 4], [1, 2, 3, 4]), rank_correlation([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    if len(first) != len(second) or len(first) < 2:
        return None

    def ranks(values: Sequence[float]) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        order = values.argsort(kind="stable")
        result = np.empty(len(values))
        result[order] = np.arange(1, len(values) + 1)
        for value in np.unique(values):  # average the ranks of ties
            tied = values == value
            result[tied] = result[tied].mean()
        return result

    a, b = ranks(first), ranks(second)
    if a.std() == 0 or b.std() == 0:
        return None
    return round(float(np.corrcoef(a, b)[0, 1]), 6)


class Similarity:
    """Similarity queries over one store, for the model of its last complete embedding run.

    The vectors load lazily on first use and stay in memory (call `refresh()` after
    re-embedding). `encoder` embeds search queries; by default the store's model is opened.
    From `annindex.APPROXIMATE_FROM` stored vectors (or with `approximate=True`) queries go
    to the approximate index instead: it proposes candidate items, whose vectors alone are
    read and scored exactly, so the answers are exact search's whenever the candidates hold
    the true top items (see `annindex`).
    """

    def __init__(self, store: Store, encoder: Encoder | None = None, approximate: bool | None = None) -> None:
        self.store = store
        self._encoder = encoder
        self._index: VectorIndex | None = None
        self._forced = approximate
        self._approximate = approximate
        self._ann: annindex.ApproximateIndex | None = None

    def model(self) -> tuple[str, str]:
        """(model id, model folder) the store's vectors were made with; NotEmbedded if none."""
        current = self.store.current_vector_model()
        if current is None:
            raise NotEmbedded(f"no embeddings in {self.store.path} yet: run `notesgraph index` "
                              "(without --no-embed) first")
        return current

    @property
    def index(self) -> VectorIndex:
        if self._index is None:
            self._index = VectorIndex.from_store(self.store, self.model()[0])
        return self._index

    def refresh(self) -> None:
        """Forget the loaded vectors; the next query reloads them."""
        self._index = None
        self._ann = None
        self._approximate = self._forced  # the store may have grown past the threshold

    @property
    def approximate(self) -> bool:
        """Whether queries go through the approximate index (decided once, by size)."""
        if self._approximate is None:
            self._approximate = annindex.in_use(self.store, self.model()[0])
        return self._approximate

    def ann(self) -> annindex.ApproximateIndex:
        """The approximate index, synced with the stored vectors on first use."""
        if self._ann is None:
            self._ann = annindex.ApproximateIndex.open(self.store, self.model()[0])
        return self._ann

    def vectors_of(self, items: Iterable[str]) -> VectorIndex:
        """An index holding (at least) the vectors of `items`: the whole one for exact
        search, else just theirs, read from the store."""
        if not self.approximate:
            return self.index
        return VectorIndex.from_rows(self.store.vectors_of(self.model()[0], items))

    def encoder(self) -> Encoder:
        """The encoder for queries: the one given, else the store's model (which must be the
        model the vectors were made with; ModelError otherwise)."""
        model, path = self.model()
        if self._encoder is None:
            self._encoder = Encoder(path)
        if self._encoder.model_id != model:
            raise ModelError(f"the vectors in {self.store.path} were made with {model} ({path}), not "
                             f"{self._encoder.model_id}: run `notesgraph index --model {self._encoder.path}` "
                             "to switch models, or search with the same model")
        return self._encoder

    # -- ranking ----------------------------------------------------------------------------

    def related(self, item: str, kinds: Iterable[str] | None = None, k: int = 10,
                min_score: float | None = None, exclude_linked: bool = False) -> list[Match]:
        """The `k` items (of `kinds`, default all) most similar to `item`, best first, each
        with the pair of passages that matched best. `exclude_linked` leaves out what the
        item is already linked to (either direction; see `Store.linked_items`). A concept that
        is a note's title stands for that note. Costs one product of the item's passages with
        every vector: about 0.1 s per passage of `item` at 1M vectors."""
        item = self._canonical(item)
        own = self.vectors_of([item])
        rows = own.rows_of(item)
        if rows.stop == rows.start:
            raise NotEmbedded(f"{item} has no embedding yet: run `notesgraph index` (without --no-embed)")
        exclude = {item} | (self.store.linked_items(item) if exclude_linked else set())
        index, hits = self._hits(own.matrix[rows], kinds, k, exclude, min_score)
        query_parts = own.parts[rows]
        texts = self._texts([item, *(hit.item for hit, _ in hits)])
        matches = []
        for hit, title in hits:
            part = query_parts[hit.query_row]
            matches.append(self._match(index, hit, title, part, texts.get((item, part), ""), texts))
        return matches

    def search(self, query: str, kinds: Iterable[str] | None = None, k: int = 10,
               min_score: float | None = None) -> list[Match]:
        """Semantic search: the `k` items (of `kinds`) whose passages are closest in meaning
        to `query`, with the passage that matched. Embeds the query (loads the model on first
        use); an empty query finds nothing."""
        query = query.strip()[:MAX_PASSAGE_CHARS]
        if not query:
            return []
        vector = self.encoder().encode([query])[0]
        index, hits = self._hits(vector, kinds, k, set(), min_score)
        texts = self._texts(hit.item for hit, _ in hits)
        return [self._match(index, hit, title, "query", query, texts) for hit, title in hits]

    def hybrid_search(self, query: str, kinds: Iterable[str] | None = None, k: int = 10,
                      depth: int = 50) -> list[FusedMatch]:
        """Semantic search fused with the full-text (BM25) ranking by reciprocal rank fusion
        over each list's top `depth`, so exact words and meaning both count. Full text covers
        notes only; other kinds rank by meaning alone."""
        kinds = None if kinds is None else list(kinds)
        semantic = self.search(query, kinds, max(depth, k))
        text = self.store.search(query, limit=max(depth, k)) if kinds is None or "note" in kinds else []
        fused: dict[str, dict] = {}
        for rank, match in enumerate(semantic, 1):
            fused[match.item] = {"kind": match.kind, "title": match.title, "score": 1 / (RRF_K + rank),
                                 "semantic_rank": rank, "text_rank": None, "cosine": match.score, "snippet": ""}
        for rank, hit in enumerate(text, 1):
            entry = fused.setdefault(f"note:{hit['id']}", {
                "kind": "note", "title": hit["title"], "score": 0.0, "semantic_rank": None,
                "cosine": None})
            entry.update(score=entry["score"] + 1 / (RRF_K + rank), text_rank=rank, snippet=hit["snippet"])
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1]["score"], kv[0]))[:k]
        return [FusedMatch(item, **entry) for item, entry in ranked]

    def paper_ranking(self, note_id: int) -> PaperRanking:
        """The note's listed papers in its order, beside our order by cosine between the
        paper's title and the note's best-matching passage, with Spearman's rho."""
        note = self.store.note(note_id)
        item = f"note:{note_id}"
        index = self.vectors_of([item] + [f"paper:{p['id']}" for p in note["papers"]])
        rows = index.rows_of(item)
        if rows.stop == rows.start:
            raise NotEmbedded(f"{item} has no embedding yet: run `notesgraph index` (without --no-embed)")
        note_vectors, note_parts = index.matrix[rows], index.parts[rows]
        texts = self._texts([item] + [f"paper:{p['id']}" for p in note["papers"]])
        scored: dict[int, tuple[float, Why]] = {}
        for paper in note["papers"]:
            paper_item = f"paper:{paper['id']}"
            paper_rows = index.rows_of(paper_item)
            if paper_rows.stop == paper_rows.start:
                continue  # not embedded yet: listed without our rank
            pairwise = note_vectors @ index.matrix[paper_rows].T
            q, m = np.unravel_index(int(pairwise.argmax()), pairwise.shape)
            note_part, paper_part = note_parts[q], index.parts[paper_rows][m]
            scored[paper["id"]] = (float(pairwise[q, m]), Why(
                part_label(note_part), texts.get((item, note_part), ""),
                part_label(paper_part), texts.get((paper_item, paper_part), "")))
        ours = {paper_id: rank for rank, paper_id in enumerate(sorted(scored, key=lambda i: -scored[i][0]), 1)}
        papers = [RankedPaper(f"paper:{p['id']}", p["title"], p["rank"], ours.get(p["id"]),
                              *(scored[p["id"]] if p["id"] in scored else (None, None)))
                  for p in note["papers"]]
        ranked = [p for p in papers if p.our_rank is not None]
        rho = rank_correlation([p.given_rank for p in ranked], [p.our_rank for p in ranked])  # type: ignore[misc]
        return PaperRanking(item, note["title"], papers, rho)

    # -- helpers ----------------------------------------------------------------------------

    def _canonical(self, item: str) -> str:
        """`item` checked; a concept that is a note's title becomes that note."""
        kind, ident = split_item_id(item)
        if kind == "concept":
            note = self.store.rows("SELECT id FROM notes WHERE key = ?", [ident])
            if note:
                return f"note:{note[0]['id']}"
        return item

    def _hits(self, queries: np.ndarray, kinds: Iterable[str] | None, k: int, exclude: set[str],
              min_score: float | None) -> tuple[VectorIndex, list[tuple[Hit, str]]]:
        """Top hits with their titles and the index their rows point into, skipping items
        whose vectors outlived them (possible after `index --no-embed`): then fewer than `k`
        may come back. Approximate: the candidates' vectors, scored exactly."""
        kinds = None if kinds is None else list(kinds)
        index = self.index if not self.approximate else self.vectors_of(
            self.ann().candidate_items(queries, kinds, k + 10, exclude))
        hits = index.top_items(queries, kinds, k + 10, exclude, min_score)
        labels = self.store.item_labels(hit.item for hit in hits)
        return index, [(hit, labels[hit.item]) for hit in hits if hit.item in labels][:k]

    def _texts(self, items: Iterable[str]) -> dict[tuple[str, str], str]:
        """(item, part) -> passage text, for the few items shown."""
        return {p.key: p.text for p in collect_passages(self.store, items)}

    @staticmethod
    def _match(index: VectorIndex, hit: Hit, title: str, query_part: str, query_text: str,
               texts: dict[tuple[str, str], str]) -> Match:
        part = index.parts[hit.row]
        return Match(hit.item, hit.item.partition(":")[0], title, hit.score,
                     Why(part_label(query_part), query_text, part_label(part), texts.get((hit.item, part), "")))


def similar_pairs(store: Store, kinds: Sequence[str] = ("note",), k: int = 5,
                  min_score: float | None = None, approximate: bool | None = None) -> list[tuple[str, str, float]]:
    """`similar` edges for the graph: each item of `kinds` joined to its `k` most similar
    items of those kinds, as (item id, item id, cosine) with the smaller id first, each pair
    once, best first. The cosine is that of the items' best-matching passages.

    Returns [] when nothing has been embedded (the model is never loaded: only stored
    vectors are read). Exact below `annindex.APPROXIMATE_FROM` vectors (unless `approximate`
    says otherwise): loading the vectors plus O(P^2 d) for the P passages of `kinds` (the
    bundled notes: milliseconds; 1k notes of ~7 passages: about 1 s on 2 cores). Above it,
    from the approximate index: each passage's nearest passages, O(P log P).
    """
    current = store.current_vector_model()
    if current is None or store.vector_count(current[0]) == 0:
        return []
    if approximate if approximate is not None else annindex.in_use(store, current[0]):
        pairs = annindex.ApproximateIndex.open(store, current[0]).neighbour_pairs(kinds, k, min_score)
    else:
        pairs = VectorIndex.from_store(store, current[0]).item_pairs(kinds, k, min_score)
    present = store.item_labels({item for pair in pairs for item in pair[:2]})
    return [pair for pair in pairs if pair[0] in present and pair[1] in present]
