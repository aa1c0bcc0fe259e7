"""Link resolution as Obsidian does it: file name first (same folder, else shortest path),
path suffixes, then titles."""

from __future__ import annotations

from pathlib import Path

from notesgraph.graph import build_graph, refresh_graph
from notesgraph.indexer import index_folder
from notesgraph.links import LinkResolver
from notesgraph.model import normalise_title
from notesgraph.store import Store

NOTES = [
    ("note:1", "/v/Deep Learning.md", normalise_title("Deep Learning")),
    ("note:2", "/v/topics/deep learning.md", normalise_title("deep learning")),
    ("note:3", "/v/topics/ml/Optimisers.md", normalise_title("Optimisers")),
    ("note:4", "/v/archive/old/Optimisers.md", normalise_title("Old optimisers")),
    ("note:5", "/v/exports/tuning.txt", normalise_title("Does instruction tuning teach format?")),
    ("note:6", "/v/中文/笔记 one.md", normalise_title("笔记 one")),
    ("note:7", "/v/Drawings/Plan.excalidraw.md", normalise_title("Plan")),
    ("note:8", "/v/a/two\u2019s\u202fcomplement.md", normalise_title("Signed integers")),
]


def resolver() -> LinkResolver:
    return LinkResolver(NOTES)


def test_name_is_case_insensitive_and_the_same_folder_wins() -> None:
    r = resolver()
    assert r.resolve("deep learning", "/v/index.md") == "note:1"  # shortest path
    assert r.resolve("DEEP LEARNING", "/v/topics/other.md") == "note:2"  # the linking note's folder
    assert r.resolve("Optimisers", "/v/x.md") == "note:3"  # shorter of two paths


def test_path_qualified_links_match_a_path_suffix_or_the_relative_path() -> None:
    r = resolver()
    assert r.resolve("old/Optimisers", "/v/x.md") == "note:4"
    assert r.resolve("archive/old/Optimisers.md", "/v/x.md") == "note:4"
    assert r.resolve("../archive/old/Optimisers", "/v/topics/y.md") == "note:4"
    assert r.resolve("nowhere/Optimisers", "/v/x.md") is None


def test_a_title_resolves_when_no_file_has_that_name() -> None:
    r = resolver()
    assert r.resolve("Does instruction tuning teach format?", "/v/x.md") == "note:5"
    assert r.resolve("tuning", "/v/x.md") == "note:5"  # its file name works too
    assert r.by_title(normalise_title("Old optimisers")) == "note:4"


def test_non_ascii_names_drawings_and_misses() -> None:
    r = resolver()
    assert r.resolve("笔记 one", "/v/x.md") == "note:6"
    assert r.resolve("Plan.excalidraw", "/v/x.md") == "note:7"
    assert r.resolve("two\u2019s\u202fcomplement", "/v/x.md") == "note:8"
    assert r.resolve("two's complement", "/v/x.md") is None  # another apostrophe: another name
    assert r.resolve("", "/v/x.md") is None
    assert r.resolve("Missing note", "/v/x.md") is None


def _write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_new_file_in_the_linking_notes_folder_takes_over_the_link(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    _write(vault, "a/Source.md", "# Source\n\nSee [[Target]].\n")
    _write(vault, "b/deeper/Target.md", "# Target far away\n\nText.\n")
    with Store(tmp_path / "db.sqlite") as store:
        index_folder(store, vault)
        graph = build_graph(store)
        ids = {attrs["path"]: node for node, attrs in graph.nodes(data=True) if attrs.get("kind") == "note"}
        source = ids[str(vault / "a" / "Source.md")]
        assert set(graph.successors(source)) == {ids[str(vault / "b" / "deeper" / "Target.md")]}
        _write(vault, "a/Target.md", "# Target nearby\n\nText.\n")
        index_folder(store, vault)
        refresh_graph(graph, store)
        ids = {attrs["path"]: node for node, attrs in graph.nodes(data=True) if attrs.get("kind") == "note"}
        assert set(graph.successors(source)) == {ids[str(vault / "a" / "Target.md")]}
        assert graph.nodes == build_graph(store).nodes


def test_a_note_is_found_by_path_or_id_and_repeated_titles_list_their_paths(tmp_path: Path) -> None:
    import pytest

    from notesgraph.lookup import AmbiguousTitle, find_note_id

    vault = tmp_path / "vault"
    _write(vault, "a/Plan.md", "# Plan\n\nThe first plan.\n")
    _write(vault, "b/Plan.md", "# Plan\n\nThe second plan.\n")
    _write(vault, "Other.md", "# Something else\n\nText.\n")
    with Store(tmp_path / "db.sqlite") as store:
        index_folder(store, vault)
        ids = {n["path"]: n["id"] for n in store.note_titles()}
        with pytest.raises(AmbiguousTitle) as error:
            find_note_id(store, "Plan")
        assert str(vault / "a" / "Plan.md") in str(error.value) and str(vault / "b" / "Plan.md") in str(error.value)
        assert find_note_id(store, "b/Plan.md") == ids[str(vault / "b" / "Plan.md")]
        assert find_note_id(store, str(vault / "a" / "Plan.md")) == ids[str(vault / "a" / "Plan.md")]
        assert find_note_id(store, f"note:{ids[str(vault / 'Other.md')]}") == ids[str(vault / "Other.md")]
        with pytest.raises(AmbiguousTitle):
            find_note_id(store, "Plan.md")  # both files are called that
        assert find_note_id(store, "something") == ids[str(vault / "Other.md")]
