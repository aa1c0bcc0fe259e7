"""Indexing folders: incremental, robust to bad files, safe to kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SEED, write
from notesgraph.indexer import NotesFolderError, check_folder, index_folder
from notesgraph.store import Store

sys.path.insert(0, str(REPO / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402


def small_note(title: str, lede: str = "A lede.", inquiry: str = "Shared question?") -> str:
    return (f"{title}\n{lede}\nA body paragraph.\nInquiring lines that use this note as a source 1\n"
            f"This note is a source for these synthesized inquiries.\n- {inquiry}\n")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    write(notes, "a.txt", small_note("Note A?"))
    write(notes, "sub/b.md", "# Note B\n\nLede of B linking [[Note A]].\n\n## Inquiring lines\n- Shared question?\n")
    write(notes, "c.txt", SEED.read_text(encoding="utf-8"))
    return notes


def test_first_index_adds_everything(store: Store, folder: Path) -> None:
    report = index_folder(store, folder)
    assert (report.added, report.updated, report.unchanged, report.removed) == (3, 0, 0, 0)
    assert report.problems == []
    stats = store.stats()
    assert stats["notes"] == 3 and stats["shared_inquiries"] == 1


def test_unchanged_folder_reads_nothing(store: Store, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_folder(store, folder)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"read {self}"))
    report = index_folder(store, folder)
    assert (report.added, report.updated, report.unchanged) == (0, 0, 3)


def test_touched_but_identical_file_is_not_reparsed(store: Store, folder: Path) -> None:
    index_folder(store, folder)
    os.utime(folder / "a.txt", ns=(1, 1))
    report = index_folder(store, folder)
    assert (report.updated, report.unchanged) == (0, 3)
    assert index_folder(store, folder).unchanged == 3  # mtime remembered: no read next time


def test_changed_file_replaces_only_its_rows(store: Store, folder: Path) -> None:
    index_folder(store, folder)
    before = {n["title"]: n["id"] for n in store.note_titles()}
    write(folder, "a.txt", small_note("Note A?", lede="A new lede.", inquiry="Brand new question?"))
    report = index_folder(store, folder)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    assert {n["title"]: n["id"] for n in store.note_titles()} == before
    assert store.note(before["Note A?"])["lede"] == "A new lede."
    assert store.stats()["shared_inquiries"] == 0


def test_deleted_file_rows_go(store: Store, folder: Path) -> None:
    index_folder(store, folder)
    (folder / "c.txt").unlink()
    report = index_folder(store, folder)
    assert report.removed == 1
    assert store.stats()["papers"] == 0 and store.stats()["notes"] == 2


def test_wiki_links_resolve_by_title_or_file_name(store: Store, folder: Path) -> None:
    write(folder, "sub/b.md", "# Note B\n\nLinks [[Note A]] and [[later/Missing Note]].\n")
    index_folder(store, folder)
    ids = {n["title"]: n["id"] for n in store.note_titles()}
    links = lambda: [r["note_id"] for r in store.note(ids["Note B"])["references"] if r["kind"] == "wiki_link"]
    assert links() == [ids["Note A?"], None]  # titles match without case or a trailing "?"
    write(folder, "deep/missing note.md", "# A title unlike the file name\n\nLede.\n")
    index_folder(store, folder)
    new_id = [n["id"] for n in store.note_titles() if n["title"].startswith("A title unlike")][0]
    assert links() == [ids["Note A?"], new_id]  # Obsidian's rule: the file name resolves too


BAD_FILES: dict[str, bytes] = {
    "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00",
    "latin1.txt": "Titre\nUne note écrite en Latin-1.\n".encode("latin-1"),
    "no-title.txt": b"\n\nRelated papers in this collection 1\n- Some paper\n",
}


def test_bad_files_are_reported_and_the_rest_indexes(store: Store, folder: Path) -> None:
    for name, data in BAD_FILES.items():
        write(folder, name, data)
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # a 50 MB file (sparse: cheap to make)
    write(folder, "dup.txt", small_note("Note A?"))
    write(folder, "picture.png", b"\x89PNG")
    write(folder, "empty.txt", b"")  # issue 14: an empty file is a note titled by its name
    report = index_folder(store, folder)
    assert report.added == 5  # dup.txt repeats a.txt's title: a note is its file, both are kept
    assert [n["path"] for n in store.note_titles() if n["title"] == "Note A?"] == \
        [str(folder / "a.txt"), str(folder / "dup.txt")]
    assert "empty" in {n["title"] for n in store.note_titles()}
    by_file = {Path(p.path).name: p for p in report.problems}
    assert set(by_file) == {*BAD_FILES, "huge.txt"}
    assert "binary" in by_file["binary.txt"].message
    assert "UTF-8" in by_file["latin1.txt"].message and by_file["latin1.txt"].line == 2
    assert by_file["no-title.txt"].line == 3
    assert "50.0 MB" in by_file["huge.txt"].message
    assert all(p.describe().startswith(str(folder)) for p in report.problems)
    assert [Path(p).name for p in report.ignored] == ["picture.png"]
    assert {Path(p["path"]).name for p in store.problems()} == set(by_file)
    # Problems are retried on the next run, and a fixed file is picked up.
    write(folder, "binary.txt", small_note("Now not binary?"))
    again = index_folder(store, folder)
    assert again.added == 1 and len(again.problems) == len(by_file) - 1


def test_title_moving_between_files_in_one_run(store: Store, tmp_path: Path) -> None:
    notes = tmp_path / "n"
    write(notes, "a.txt", small_note("First title?"))
    write(notes, "b.txt", small_note("Second title?"))
    index_folder(store, notes)
    # b takes a's title while a takes a new one; b sorts after a, a is processed first anyway,
    # so swap the names to make the holder come later.
    write(notes, "a.txt", small_note("Second title?"))
    write(notes, "b.txt", small_note("Third title?"))
    report = index_folder(store, notes)
    assert report.problems == [] and report.updated == 2
    assert sorted(n["title"] for n in store.note_titles()) == ["Second title?", "Third title?"]


def test_missing_folder_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotesFolderError, match="no such folder"):
        index_folder(store, tmp_path / "nope")
    write(tmp_path, "file.txt", "x")
    with pytest.raises(NotesFolderError, match="not a folder"):
        index_folder(store, tmp_path / "file.txt")


def test_check_reports_without_writing(tmp_path: Path, folder: Path) -> None:
    for name, data in BAD_FILES.items():
        write(folder, name, data)
    write(folder, "dup.txt", small_note("Note A?"))
    write(folder, "warn.txt", small_note("Warned?").replace("source 1", "source 4"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    report = check_folder(folder)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert {Path(p.path).name for p in report.problems} == set(BAD_FILES)
    assert any("says 4 inquiries" in w.message for w in report.warnings)
    assert report.notes == 5  # dup.txt repeats a title: a note all the same


def test_hidden_folders_are_skipped(store: Store, folder: Path) -> None:
    write(folder, ".obsidian/workspace.md", "# Not a note\n")
    assert index_folder(store, folder).added == 3


KILL_SCRIPT = """
import sys
from notesgraph.indexer import index_folder
from notesgraph.store import Store
def progress(step):
    print(step.done, flush=True)
index_folder(Store(sys.argv[1]), sys.argv[2], progress=progress)
"""


def test_kill_mid_index_leaves_a_usable_database(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(300, corpus, seed=3)
    db = tmp_path / "killed.db"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(db), str(corpus)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    for line in proc.stdout:
        if int(line) >= 25:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(db) as store:
        partial = store.stats()["notes"]
        assert 25 <= partial < 300
        assert store.stats()["files"] == partial  # no note without its file record, or back
        report = index_folder(store, corpus)
        assert report.unchanged == partial and report.added == 300 - partial
        assert store.stats()["notes"] == 300
        assert store.integrity_check() == "ok"


def test_should_stop_ends_the_run_between_files_and_keeps_what_was_done(store: Store, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(40, corpus, seed=5)
    seen: list[int] = []
    report = index_folder(store, corpus, progress=lambda step: seen.append(step.done),
                          should_stop=lambda: len(seen) >= 7)
    # Files are committed in batches and reported done once committed: the run stops at the
    # first file after a commit that brought 7 or more, and keeps every file it reported.
    done = report.done
    assert report.stopped and 7 <= done < 40 and seen == list(range(1, done + 1))
    assert report.left == 40 - done and report.added == done and store.stats()["notes"] == done
    assert store.integrity_check() == "ok"
    again = index_folder(store, corpus, should_stop=lambda: False)
    assert not again.stopped and (again.unchanged, again.added, again.left) == (done, 40 - done, 0)
    assert store.stats()["notes"] == 40


def _notes_in(db: Path) -> int:
    if not db.exists():
        return 0
    raw = sqlite3.connect(db, timeout=5)
    try:
        return raw.execute("SELECT count(*) FROM notes").fetchone()[0]
    except sqlite3.OperationalError:  # no schema yet
        return 0
    finally:
        raw.close()


def test_ctrl_c_stops_the_index_command_cleanly(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(1500, corpus, seed=4)
    db = tmp_path / "interrupted.db"
    proc = subprocess.Popen([sys.executable, "-m", "notesgraph", "--db", str(db), "index", str(corpus), "--no-embed"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    deadline = time.monotonic() + 300
    while _notes_in(db) < 20:  # until some notes are committed (WAL: readable while it writes)
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "stopped" in out and "Traceback" not in err
    with Store(db) as opened:
        indexed = opened.stats()["notes"]
        assert 20 <= indexed < 1500
        assert f"{indexed} of 1500" in out
        assert opened.integrity_check() == "ok"


def test_what_is_not_a_note_is_listed_with_its_reason(store: Store, folder: Path) -> None:
    write(folder, "board.canvas", "{}")
    write(folder, "img/figure.png", b"\x89PNG")
    write(folder, "data.csv", "a,b\n")
    (folder / "loop-a.md").symlink_to(folder / "loop-b.md")
    (folder / "loop-b.md").symlink_to(folder / "loop-a.md")
    report = index_folder(store, folder)
    reasons = {Path(p).name: p.reason for p in report.ignored}
    assert "canvas" in reasons["board.canvas"] and "image" in reasons["figure.png"]
    assert "data" in reasons["data.csv"]
    assert "leads nowhere" in reasons["loop-a.md"] and "leads nowhere" in reasons["loop-b.md"]
    assert report.added == 3  # the notes beside them still index


def test_worker_processes_index_exactly_what_one_process_does(tmp_path: Path, monkeypatch) -> None:
    import notesgraph.indexer as indexer

    vault = REPO / "tests" / "data" / "vaults" / "obsidian-tasks-group__obsidian-tasks-docs"
    assert hasattr(os, "fork") and len(list(vault.rglob("*.md"))) >= indexer._PARALLEL_FROM
    tables = ("SELECT title, lede, body, path, tags, metadata FROM notes ORDER BY path",
              "SELECT n.path, r.kind, r.target, r.paragraph, r.start FROM note_references r"
              " JOIN notes n ON n.id = r.note_id ORDER BY 1, 4, 5, 2, 3",
              "SELECT n.path, c.key, c.text FROM claims c JOIN notes n ON n.id = c.note_id ORDER BY 1, 2")
    contents = []
    for workers in (True, False):
        monkeypatch.setattr(indexer, "_can_fork", lambda: workers)
        with Store(tmp_path / f"{workers}.db") as store:
            report = index_folder(store, vault)
            assert report.added == 119 and not report.problems
            contents.append([store.db.execute(sql).fetchall() for sql in tables])
    assert contents[0] == contents[1]


def test_a_file_name_that_is_not_utf8_is_listed_and_the_rest_indexes(store: Store, folder: Path) -> None:
    odd = os.fsencode(str(folder)) + b"/caf\xe9.md"  # Latin-1 bytes in a file name
    with open(odd, "wb") as handle:
        handle.write(b"# Cafe\n\nA note whose name is not UTF-8.\n")
    report = index_folder(store, folder)
    assert report.added == 3 and not report.problems
    [entry] = [p for p in report.ignored if "UTF-8" in p.reason]
    assert entry.path.endswith("caf\ufffd.md")


def test_links_out_of_the_notes_folder_are_not_followed(store: Store, folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "private"
    write(outside, "secret.md", "# Secret\n\nNot part of the notes.\n")
    (folder / "secret.md").symlink_to(outside / "secret.md")
    (folder / "private").symlink_to(outside, target_is_directory=True)
    (folder / "etc-passwd.txt").symlink_to("/etc/passwd")
    (folder / "again.md").symlink_to(folder / "sub" / "b.md")  # inside: a note like any other
    (folder / "sub-again").symlink_to(folder / "sub", target_is_directory=True)
    report = index_folder(store, folder)
    reasons = {Path(p).name: p.reason for p in report.ignored}
    assert "out of the notes folder" in reasons["secret.md"] and "out of" in reasons["private"]
    assert "/etc/passwd" in reasons["etc-passwd.txt"] and "indexed where they are" in reasons["sub-again"]
    assert report.added == 4 and not report.problems
    assert store.search("secret") == [] and store.search("root") == []


def test_a_note_that_cannot_be_stored_is_that_files_problem(store: Store, folder: Path) -> None:
    from dataclasses import replace

    from notesgraph.indexer import IndexReport, _save_batch
    from notesgraph.parsing import parse_file

    good = [(parse_file(p), str(p), 1, 1, ()) for p in sorted(folder.rglob("*.*"))]
    broken = replace(good[0][0], lede="half a character: \ud800")  # what a parser bug could make
    report = IndexReport(str(folder), added=4)
    _save_batch(store, [*good, (broken, str(folder / "broken.md"), 1, 1, ())], report)
    assert report.added == 3 and store.stats()["notes"] == 3
    [problem] = report.problems
    assert problem.path.endswith("broken.md") and "could not be stored" in problem.message
    assert store.stats()["problem_files"] == 1


@pytest.fixture
def make_unreadable():
    """Turn a path into a note file in the folder that cannot be read: no read permission; as
    root, who may read anything, /proc/self/mem bound over it (a regular file whose first page
    no process can read: EIO). A symlink would not do: links out of the folder are not followed."""
    mounted: list[Path] = []

    def make(path: Path) -> None:
        if path.exists() or path.is_symlink():
            path.unlink()
        path.write_text("Secret?\nCannot be read.\n", encoding="utf-8")
        if os.geteuid() != 0:
            path.chmod(0)
            return
        done = subprocess.run(["mount", "--bind", "/proc/self/mem", str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"as root, a file can only be made unreadable with a bind mount: {done.stderr.strip()}")
        mounted.append(path)

    def remove(path: Path) -> None:
        if path in mounted:
            mounted.remove(path)
            subprocess.run(["umount", str(path)], check=True)
        path.unlink()

    make.remove = remove  # type: ignore[attr-defined]
    yield make
    for path in mounted:
        subprocess.run(["umount", str(path)], check=False)


def test_an_unreadable_file_is_a_problem_file_in_stats_and_retried_every_run(store: Store, folder: Path,
                                                                           make_unreadable) -> None:
    index_folder(store, folder)
    make_unreadable(folder / "locked.md")
    make_unreadable(folder / "a.txt")  # indexed before: its note stays until it reads again
    report = index_folder(store, folder)
    assert sorted(Path(p.path).name for p in report.problems) == ["a.txt", "locked.md"]
    assert all("cannot be read" in p.message for p in report.problems)
    stats = store.stats()
    assert (stats["problem_files"], stats["notes"]) == (2, 3)
    assert {Path(p["path"]).name for p in store.problems()} == {"a.txt", "locked.md"}
    again = index_folder(store, folder)  # unchanged size and time, yet tried again
    assert len(again.problems) == 2 and store.stats()["problem_files"] == 2
    make_unreadable.remove(folder / "a.txt")
    write(folder, "a.txt", small_note("Note A?", "Readable again."))
    fixed = index_folder(store, folder)
    assert [Path(p.path).name for p in fixed.problems] == ["locked.md"]
    assert store.stats()["problem_files"] == 1 and store.search("readable again")
