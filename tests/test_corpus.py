"""The bundled notes/ corpus: parses cleanly and makes an interesting graph."""

from __future__ import annotations

from conftest import NOTES
from notesgraph.indexer import check_folder, index_folder
from notesgraph.store import Store


def test_bundled_notes_parse_without_problems_or_warnings() -> None:
    report = check_folder(NOTES)
    assert report.problems == [] and report.warnings == []
    assert report.notes >= 8


def test_bundled_notes_use_both_formats(store: Store) -> None:
    index_folder(store, NOTES)
    formats = [r["format"] for r in store.rows("SELECT format FROM notes")]
    assert formats.count("export") >= 3 and formats.count("markdown") >= 3


def test_bundled_notes_make_a_linked_graph(store: Store) -> None:
    index_folder(store, NOTES)
    stats = store.stats()
    assert stats["resolved_concept_links"] >= 10
    assert stats["unresolved_stubs"] >= 3
    assert stats["shared_inquiries"] >= 5 and stats["shared_papers"] >= 5
    main_id = next(n["id"] for n in store.note_titles()
                   if n["title"] == "Does instruction tuning teach task understanding or output format?")
    main = store.note(main_id)
    seed_concepts = {
        "Does training data format shape reasoning strategy more than domain?",
        "Can models pass tests while missing the actual grammar?",
        "Can small models reason well by just learning output format?",
        "Does supervised fine-tuning actually improve reasoning quality?",
        "Why do chain-of-thought examples fail across different conditions?",
    }
    resolved = {c["title"] for c in main["concepts"] if c["note_id"] is not None}
    assert seed_concepts <= resolved
    kinds = {r["kind"] for r in main["references"]}
    assert {"quoted_title", "arxiv", "author_year"} <= kinds
    # Every note is linked to by at least one other (no island in the bundled graph).
    linked = {r["concept_key"] for r in store.rows("SELECT concept_key FROM note_concepts")}
    assert all(n["key"] in linked for n in store.note_titles())
