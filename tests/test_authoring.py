"""Create note: a stub becomes a note that resolves at once."""

from __future__ import annotations

from pathlib import Path

from conftest import SEED, write
from notesgraph.authoring import create_note, note_file_name
from notesgraph.indexer import index_folder
from notesgraph.store import Store


def test_file_names_are_portable() -> None:
    assert note_file_name("Does A/B testing work?") == "Does A B testing work.md"
    assert note_file_name("???") == "Untitled note.md"
    assert len(note_file_name("x" * 500)) <= 123


def test_created_note_resolves_the_stub_and_links_back(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    index_folder(store, folder)
    seed = store.note(store.note_titles()[0]["id"])
    stub = seed["concepts"][0]
    assert stub["note_id"] is None
    path = create_note(folder, stub["title"], stub["description"], [seed["title"]])
    assert create_note(folder, stub["title"]).name.endswith("(2).md")  # never overwrites
    path.with_name(path.stem + " (2).md").unlink()
    report = index_folder(store, folder)
    assert report.added == 1 and report.problems == []
    resolved = store.note(seed["id"])["concepts"][0]
    assert resolved["note_id"] is not None
    new = store.note(resolved["note_id"])
    assert new["lede"] == stub["description"]
    assert new["concepts"][0]["note_id"] == seed["id"]
