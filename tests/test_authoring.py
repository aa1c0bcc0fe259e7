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
    assert len(note_file_name("x" * 500).encode()) <= 203


def test_long_names_in_any_script_are_capped_in_bytes_and_can_be_written(tmp_path: Path) -> None:
    for title in ("研究" * 150, "🧪" * 300, "é" * 300):
        name = note_file_name(title)
        assert len(name.encode("utf-8")) <= 203
        path = create_note(tmp_path, title)  # 300 CJK or emoji characters failed: File name too long
        assert path.exists() and path.read_text(encoding="utf-8").startswith(f"# {title}\n")
        assert create_note(tmp_path, title).name.endswith(" (2).md")


def test_names_windows_reserves_are_not_used() -> None:
    for title in ("CON", "nul", "Com1", "LPT9", "aux.notes"):
        name = note_file_name(title)
        assert name.split(".")[0].upper() not in {"CON", "NUL", "COM1", "LPT9", "AUX"}, name
    assert note_file_name("Console") == "Console.md"


def test_a_title_with_line_breaks_makes_a_note_with_that_title(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    path = create_note(folder.mkdir() or folder, "Scaling laws\nfor   reasoning ", "Why.", ["Source\nnote"])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Scaling laws for reasoning\n") and "[[Source note]]" in text
    index_folder(store, folder)
    assert store.note_titles()[0]["title"] == "Scaling laws for reasoning"


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
