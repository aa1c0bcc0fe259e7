"""The compact graph saved beside the database (`<database>.graph`), so opening an unchanged
store loads it instead of building it again.

Why: building the generated 100k-note store's graph from its rows takes ~30 s (mostly SQLite
handing over 14M link rows and Python resolving links, see benchmarks/profile_graph_build.py);
the app did that on every start and the CLI on every `neighbours`/`trace`/`path` call.
Loading the saved arrays takes a few seconds (benchmarks/bench_graph.py, README).

Validity: the file starts with a fingerprint of what the graph was built from: the store's
write counter (`Store.graph_changes`, raised by triggers on every table the graph reads), its
schema version, the run nodes (runs change while they progress, so they are compared as
rows), and a digest of the code that builds graphs (an upgrade never reads an old layout).
Any difference, an unreadable or truncated file: built again, and the file replaced by an
atomic rename. It is a cache: deleting it loses nothing.

Safety: the body is a pickle, read with an unpickler that only constructs numpy arrays and
the graph's own classes, so a file planted beside a database cannot run code.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import os
import pickle
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from notesgraph.graph_claims import ClaimBlock, NodeAttrs
from notesgraph.graph_compact import CompactGraph, EdgeTable
from notesgraph.store import Store

FORMAT = 1
MAGIC = b"notesgraph-graph "
SAVE_FROM_EDGES = 500_000
"""Graphs with fewer edges are not saved: they build in under a second (10k generated notes:
~1.4M edges, 3 s to build)."""
_CACHES = ("_rank_cache", "_adjacency_cache", "_in_degrees")
_log = logging.getLogger(__name__)


def cache_path(store: Store) -> Path | None:
    """Where `store`'s graph is saved (None for an in-memory store)."""
    return None if store.path == ":memory:" else Path(f"{store.path}.graph")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the core modules' source (the graph builders, the store's queries): a
    changed notesgraph never loads a graph an older one saved. ~50 small files, once a process."""
    package = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted([*package.glob("*.py"), *package.glob("store/*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint(store: Store) -> dict[str, Any]:
    """What a saved graph must match to be `store`'s graph now. Read it inside the snapshot
    the graph is built in. Two small queries."""
    runs = hashlib.blake2b(repr(store.run_graph_rows()).encode(), digest_size=8).hexdigest()
    return {"format": FORMAT, "code": code_digest(), "schema": store.schema_version(),
            "changes": store.graph_changes(), "runs": runs}


def load(store: Store, expected: dict[str, Any]) -> CompactGraph | None:
    """The saved graph when its fingerprint is `expected` but for the run nodes, else None
    (missing, stale, unreadable: the caller builds). `graph.graph["saved_key"]` is the
    saved fingerprint: where its "runs" differ, the caller refreshes the run nodes (cheaper
    than a build). Costs reading the file (~0.75 GB at 100k notes)."""
    path = cache_path(store)
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            header = file.readline()
            saved = json.loads(header[len(MAGIC):]) if header.startswith(MAGIC) else None
            if not isinstance(saved, dict) or _without_runs(saved) != _without_runs(expected):
                return None
            state = _SafeUnpickler(file).load()
        graph = _graph_of(state)
    except FileNotFoundError:
        return None
    except Exception as error:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
        _log.warning("ignoring the saved graph %s (%s: %s); building it again", path, type(error).__name__, error)
        return None
    graph.graph["loaded_from"] = str(path)
    graph.graph["saved_key"] = saved
    return graph


def _graph_of(state: Any) -> CompactGraph:
    """A CompactGraph from a saved state (raises on anything else: the caller rebuilds)."""
    if not (isinstance(state, dict) and isinstance(state.get("ids"), list)
            and isinstance(state.get("_node"), NodeAttrs) and isinstance(state.get("graph"), dict)):
        raise ValueError("not a saved graph's state")
    graph = CompactGraph.__new__(CompactGraph)
    graph.__dict__.update(state)
    graph.index = index = {node: i for i, node in enumerate(graph.ids)}
    ids = graph.ids  # the node table's keys become the ids' own strings again (pickled apart:
    # equal, not identical), so lookups hit on identity, as in a built graph; ~0.1 s at 100k
    graph._node.plain = {ids[index[node]]: attrs for node, attrs in graph._node.plain.items()}
    graph._rank_cache, graph._adjacency_cache, graph._in_degrees = OrderedDict(), OrderedDict(), {}
    return graph


def _without_runs(key: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in key.items() if name != "runs"}


def save(graph: CompactGraph, store: Store, key: dict[str, Any]) -> Path | None:
    """Save `graph` (built at fingerprint `key`) beside the database when it is large enough
    to be worth it; a smaller graph removes a stale file. Written to a temporary file and
    renamed, so a reader sees the old file or the new one. A failure (disk full, read-only
    folder) is logged and ignored. ~5 s and ~0.75 GB at 100k notes."""
    path = cache_path(store)
    if path is None:
        return None
    if graph.edge_count < SAVE_FROM_EDGES:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            _log.warning("could not remove the stale graph %s: %s", path, error)
        return None
    # `index` is made again from `ids` on load. Pickled without a memo (`fast`): its ~1 entry
    # per object (several million here) would cost ~0.1 GB more at the build's memory peak;
    # nothing in the state refers to itself, and shared strings are merely written twice.
    state = {name: value for name, value in graph.__dict__.items() if name not in _CACHES and name != "index"}
    state["graph"] = {k: v for k, v in graph.graph.items() if k not in ("loaded_from", "saved_key")}
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(MAGIC + json.dumps(key, sort_keys=True).encode() + b"\n")
            pickler = pickle.Pickler(file, protocol=5)
            pickler.fast = True
            pickler.dump(state)
        os.replace(temporary, path)
    except OSError as error:
        _log.warning("could not save the graph to %s: %s", path, error)
        temporary.unlink(missing_ok=True)
        return None
    return path


_ALLOWED = {
    ("collections", "OrderedDict"),
    ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy.core.multiarray", "scalar"),
    *((cls.__module__, cls.__qualname__) for cls in (EdgeTable, NodeAttrs, ClaimBlock)),
}


class _SafeUnpickler(pickle.Unpickler):
    """Constructs only numpy arrays, dtypes and scalars and the graph's classes."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED and not (module == "numpy.dtypes" and name.endswith("DType")):
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a saved graph")
        return super().find_class(module, name)


def loads_safely(data: bytes) -> Any:
    """`pickle.loads` restricted as a saved graph's body is (for tests)."""
    return _SafeUnpickler(io.BytesIO(data)).load()
