"""The compact graph saved beside the database: loaded only while the store is unchanged,
equal to a fresh build, rebuilt after any write the graph could see (notes, library, run
nodes), and never trusted when damaged, planted or written by other code."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
from pathlib import Path

import pytest

from conftest import NOTES, SEED, write
from notesgraph import graph_cache
from notesgraph.graph import build_graph
from notesgraph.graph_compact_build import build_compact
from notesgraph.indexer import index_folder
from notesgraph.store import Store
from test_graph_compact import assert_same_graph


@pytest.fixture
def saving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Save every graph, however small (the bundled notes' graph is below the threshold)."""
    monkeypatch.setattr(graph_cache, "SAVE_FROM_EDGES", 0)


@pytest.fixture
def indexed(tmp_path: Path):
    folder = tmp_path / "notes"
    shutil.copytree(NOTES, folder)
    write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    with Store(tmp_path / "notes.db") as store:
        index_folder(store, folder)
        yield store, folder


def loaded(graph) -> bool:
    return "loaded_from" in graph.graph


def test_an_unchanged_store_loads_the_saved_graph_equal_to_a_build(indexed, saving) -> None:
    store, _ = indexed
    built = build_compact(store)
    path = graph_cache.cache_path(store)
    assert not loaded(built) and path is not None and path.exists()
    again = build_compact(store)
    assert loaded(again) and again.graph["store"] == built.graph["store"]
    assert_same_graph(build_graph(store), again)
    assert (again.ranked_other == built.ranked_other).all() and (again.indptr == built.indptr).all()
    assert again.index == built.index and again._pages == built._pages and again._inquiries == built._inquiries
    assert again.hub_note() == built.hub_note()


def test_small_graphs_are_not_saved_and_cache_false_neither_reads_nor_writes(
        indexed, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = indexed
    path = graph_cache.cache_path(store)
    path.write_bytes(b"stale")
    assert not loaded(build_compact(store))
    assert not path.exists()  # below SAVE_FROM_EDGES: a stale file is removed
    monkeypatch.setattr(graph_cache, "SAVE_FROM_EDGES", 0)
    build_compact(store, cache=False)
    assert not path.exists()


def test_an_edited_note_is_built_again(indexed, saving) -> None:
    store, folder = indexed
    build_compact(store)
    first = sorted(folder.glob("*.md"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n\nSee [[A note added later]].\n", encoding="utf-8")
    write(folder, "A note added later.md", "# A note added later\n\nIt mentions nothing.\n")
    index_folder(store, folder)
    fresh = build_compact(store)
    assert not loaded(fresh)
    assert_same_graph(build_graph(store), fresh)
    assert loaded(build_compact(store))  # and saved for the next start


@pytest.mark.parametrize("write_sql", [
    "UPDATE notes SET title = title || ' (edited)' WHERE id = (SELECT min(id) FROM notes)",
    "INSERT INTO papers (key, title) VALUES ('a new paper', 'A New Paper')",
    "UPDATE inquiries SET text = text || '?' WHERE id = (SELECT min(id) FROM inquiries)",
    "UPDATE claims SET paper_key = 'x' WHERE id = (SELECT min(id) FROM claims)",
    "UPDATE note_references SET target = 'x' WHERE rowid = (SELECT min(rowid) FROM note_references)",
    "UPDATE note_concepts SET title = 'x' WHERE rowid = (SELECT min(rowid) FROM note_concepts)",
    "DELETE FROM notes WHERE id = (SELECT max(id) FROM notes)",
])
def test_every_write_the_graph_reads_invalidates_it(indexed, saving, write_sql: str) -> None:
    store, _ = indexed
    build_compact(store)
    before = store.graph_changes()
    with store.transaction() as conn:
        assert conn.execute(write_sql).rowcount == 1
    assert store.graph_changes() > before
    assert not loaded(build_compact(store))


def test_a_library_import_invalidates_it(indexed, saving, tmp_path: Path) -> None:
    from notesgraph.library import import_library

    store, _ = indexed
    build_compact(store)
    bib = write(tmp_path, "lib.bib", "@article{wei2022, title={Finetuned Language Models Are Zero-Shot Learners},"
                                     " author={Wei, Jason and Bosma, Maarten}, year={2022}}\n")
    import_library(store, bib)
    assert not loaded(build_compact(store))


def test_a_new_run_refreshes_the_run_nodes_of_the_saved_graph(indexed, saving) -> None:
    from notesgraph.claims import stored_claims
    from notesgraph.experiments.runner import create_run

    store, _ = indexed
    build_compact(store)
    claim = next(c for c in stored_claims(store) if any(q.value == 42.6 for q in c.claim.quantities))
    run = create_run(store, "random_baseline", quick=True, claim_id=claim.id)
    graph = build_compact(store)
    assert loaded(graph) and f"run:{run}" in graph  # loaded, its runs brought up to date
    assert_same_graph(build_graph(store), graph)
    again = build_compact(store)  # saved with the run: no refresh needed now
    assert loaded(again) and again.graph["saved_key"] == graph_cache.fingerprint(store)
    store.finish_run(run, "done")
    assert build_compact(store).nodes[f"run:{run}"]["status"] == "done"


def test_a_damaged_file_is_built_again_and_replaced(indexed, saving, caplog: pytest.LogCaptureFixture) -> None:
    store, _ = indexed
    build_compact(store)
    path = graph_cache.cache_path(store)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # truncated mid-pickle (a killed writer, a full disk)
    with caplog.at_level(logging.WARNING, logger="notesgraph.graph_cache"):
        graph = build_compact(store)
    assert not loaded(graph) and "ignoring the saved graph" in caplog.text
    assert path.read_bytes() == data  # written again whole
    assert loaded(build_compact(store))
    header = data.split(b"\n", 1)[0] + b"\n"  # a valid fingerprint over a harmless other object
    path.write_bytes(header + pickle.dumps({"ids": [1, 2]}, protocol=5))
    assert not loaded(build_compact(store)) and path.read_bytes() == data


class _Planted:
    def __reduce__(self):
        return (os.system, ("echo planted > planted.txt",))


def test_a_planted_pickle_runs_no_code(indexed, saving, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = indexed
    monkeypatch.chdir(tmp_path)
    build_compact(store)
    path = graph_cache.cache_path(store)
    header = path.read_bytes().split(b"\n", 1)[0] + b"\n"  # a valid fingerprint
    path.write_bytes(header + pickle.dumps({"ids": _Planted()}, protocol=5))
    graph = build_compact(store)
    assert not loaded(graph) and not (tmp_path / "planted.txt").exists()
    with pytest.raises(pickle.UnpicklingError, match="not part of a saved graph"):
        graph_cache.loads_safely(pickle.dumps(_Planted()))


def test_a_graph_saved_by_other_code_is_not_loaded(indexed, saving, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = indexed
    build_compact(store)
    monkeypatch.setattr(graph_cache, "code_digest", lambda: "another version")
    assert not loaded(build_compact(store))
