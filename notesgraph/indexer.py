"""Index a folder of notes into the store, re-reading only what changed.

A file is skipped when its size and mtime are unchanged, or when its bytes hash the same; a
changed file replaces its rows in one transaction; a deleted file's rows go. A bad file is
recorded as a problem (file, line, what to do) and the rest of the folder still indexes.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from pathlib import Path

from notesgraph.claims import MAX_CLAIM_TEXT, claims_cut_short, extract_claims
from notesgraph.model import Claim, Note, ParseWarning
from notesgraph.parsing import NOTE_SUFFIXES, NoteParseError, content_hash, parse_bytes
from notesgraph.parsing.decode import check_size
from notesgraph.store import FileRecord, Store


class NotesFolderError(ValueError):
    """The notes folder itself cannot be used (missing, not a folder, unreadable)."""


@dataclass(frozen=True)
class Problem:
    """A file that was not indexed, and why."""

    path: str
    message: str
    line: int = 0
    hint: str = ""

    def describe(self) -> str:
        return NoteParseError(self.path, self.message, self.line, self.hint).describe()

    @classmethod
    def from_error(cls, error: NoteParseError) -> Problem:
        return cls(error.source, error.reason, error.line, error.hint)


@dataclass(frozen=True)
class IndexProgress:
    """One step of indexing: `done` of `total` changed files, the last one being `path`."""

    done: int
    total: int
    path: str


@dataclass
class IndexReport:
    """What an index run did; `problems` non-empty means something was skipped."""

    folder: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    warnings: int = 0
    problems: list[Problem] = field(default_factory=list)
    ignored: list[NotANote] = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False
    """`should_stop` ended the run early; the files done are committed, `left` are not."""
    done: int = 0
    """Changed files handled (indexed, found unchanged by hash, or recorded as problems)."""
    left: int = 0
    """Changed files not reached because the run stopped; the next run indexes them."""


@dataclass(frozen=True)
class _FileState:
    path: str
    size: int
    mtime_ns: int


_NOT_NOTES: tuple[tuple[str, frozenset[str]], ...] = (
    ("an Obsidian canvas (a drawing, not a text note)", frozenset({".canvas"})),
    ("an image (an attachment)", frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp", ".avif",
                                            ".ico", ".tif", ".tiff", ".heic"})),
    ("audio (an attachment)", frozenset({".mp3", ".wav", ".m4a", ".ogg", ".flac", ".3gp", ".aac"})),
    ("a video (an attachment)", frozenset({".mp4", ".webm", ".ogv", ".mov", ".mkv", ".avi"})),
    ("a PDF (an attachment)", frozenset({".pdf"})),
    ("a reference library (import it: `notesgraph library import FILE` or File → Import library…)",
     frozenset({".bib", ".bibtex", ".ris"})),
    ("a data or code file", frozenset({".json", ".csv", ".tsv", ".py", ".js", ".css", ".html", ".htm", ".xml",
                                       ".yaml", ".yml", ".toml", ".ipynb", ".tex", ".sh"})),
)


@dataclass(frozen=True)
class NotANote:
    """A file in the notes folder that is not indexed as a note, and why (listed, never
    silently dropped). Behaves as its path (`Path(x)`, `str(x)`)."""

    path: str
    reason: str

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        return self.path


def not_a_note_reason(name: str) -> str:
    """Why a file with this name is not read as a note."""
    suffix = Path(name).suffix.lower()
    for reason, suffixes in _NOT_NOTES:
        if suffix in suffixes:
            return reason
    return f"not a note file (notes end in {', '.join(sorted(NOTE_SUFFIXES))})" if suffix else \
        "not a note file (no extension)"


def _utf8_name(path: str) -> bool:
    """Whether a path (as the OS gave it) is valid UTF-8: other bytes arrive as surrogates,
    which the database cannot store."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(folder: Path) -> tuple[list[_FileState], list[NotANote]]:
    """Note files (sorted) and other files below `folder`; hidden folders are skipped.

    An entry that cannot be looked at (a symlink loop, a vanished file, no permission) is
    listed with the error, never raised: one bad entry must not stop the index."""
    notes: list[_FileState] = []
    ignored: list[NotANote] = []
    root = os.path.realpath(folder)
    stack = [str(folder)]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError as error:
            ignored.append(NotANote(str(current), f"a folder that cannot be listed ({error.strerror})"))
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            if not _utf8_name(entry.path):
                ignored.append(NotANote(entry.path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
                                        "its name is not valid UTF-8 (rename it to index it)"))
                continue
            try:
                if entry.is_symlink() and (reason := _link_reason(entry, root)):
                    ignored.append(NotANote(entry.path, reason))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in NOTE_SUFFIXES:
                    stat = entry.stat()
                    if not entry.is_file():
                        ignored.append(NotANote(entry.path, "not a regular file"))
                        continue
                    notes.append(_FileState(entry.path, stat.st_size, stat.st_mtime_ns))
                else:
                    ignored.append(NotANote(entry.path, not_a_note_reason(entry.name)))
            except OSError as error:
                ignored.append(NotANote(entry.path, f"cannot be read ({error.strerror})"))
    notes.sort(key=lambda f: f.path.split(os.sep))  # by folder, then name (as Path orders them)
    return notes, sorted(ignored, key=lambda n: n.path)


def _link_reason(entry: os.DirEntry[str], root: str) -> str:
    """Why a symbolic link is not followed, or '' for a link to a note file in the folder.

    A link leading out of the notes folder would make whatever it points at (/etc/passwd, a
    home folder) searchable and exportable; a link to a folder in it would index its notes
    twice (they are indexed where they are)."""
    target = os.path.realpath(entry.path)
    if not os.path.exists(target):
        return "a link that leads nowhere (its target is missing, or links loop)"
    if os.path.commonpath([root, target]) != root:
        return f"a link out of the notes folder (to {target}; not followed)"
    if os.path.isdir(target):
        return "a link to a folder in the notes folder (its notes are indexed where they are)"
    return ""


def resolve_folder(folder: Path | str) -> Path:
    """The absolute notes folder; raises NotesFolderError when it cannot be indexed."""
    path = Path(folder).expanduser()
    if not path.exists():
        raise NotesFolderError(f"{path}: no such folder (pass the folder that holds your notes)")
    if not path.is_dir():
        raise NotesFolderError(f"{path}: is a file, not a folder (pass the folder that holds it)")
    return path.resolve()


def index_folder(
    store: Store,
    folder: Path | str,
    progress: Callable[[IndexProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> IndexReport:
    """Bring the store up to date with `folder`; returns what changed and what was skipped.

    Costs one stat per file plus a read and parse of each changed file; an unchanged folder
    reads no file contents. Raises NotesFolderError for a folder that cannot be used.

    `should_stop` is asked before each changed file (a cancel button, Ctrl+C): once it says
    True the run ends cleanly. Files are committed in small batches (each file's rows are
    replaced whole), so the files done stay committed; the report says how many (`done`) and
    how many are `left` for the next run. Many changed files are read and parsed in worker
    processes (see `_prepared`).
    """
    started = time.perf_counter()
    root = resolve_folder(folder)
    files, ignored = _walk(root)
    report = IndexReport(str(root), ignored=ignored)
    known = store.files_under(root)
    present = {f.path for f in files}
    report.removed = store.remove_files(p for p in known if p not in present)

    todo = [f for f in files if not _unchanged(known.get(f.path), f)]
    report.unchanged = len(files) - len(todo)
    prepared = _prepared(todo, known)
    batch: list[tuple[Note, str, int, int, tuple[Claim, ...]]] = []
    handled: list[str] = []  # files handled since the last commit: done once it is made

    replacing = {path for path, record in known.items() if record.status == "ok"}

    def commit() -> None:
        _save_batch(store, batch, report, replacing)
        batch.clear()
        for path in handled:
            report.done += 1
            if progress is not None:
                progress(IndexProgress(report.done, len(todo), path))
        handled.clear()

    flushed = time.perf_counter()
    for state in todo:
        if should_stop is not None and should_stop():
            report.stopped = True
            break
        _store_one(store, state, next(prepared), known.get(state.path), report, batch)
        handled.append(state.path)
        if len(batch) >= _BATCH_FILES or time.perf_counter() - flushed > _BATCH_SECONDS:
            commit()
            flushed = time.perf_counter()
    commit()
    prepared.close()  # the worker processes, if any, end here
    report.left = len(todo) - report.done
    store.sync_derived()
    if report.updated or report.removed or report.problems:
        store.prune_orphans()  # only a replaced or removed note can orphan an inquiry
    if report.added or report.updated:
        store.resolve_citations()  # citations in the new text, through the user's library
    report.seconds = time.perf_counter() - started
    return report


def _unchanged(record, state: _FileState) -> bool:
    return (record is not None and record.status == "ok" and record.size == state.size
            and record.mtime_ns == state.mtime_ns)


@dataclass(frozen=True)
class _Prepared:
    """What reading, parsing and claim extraction made of one changed file (picklable: it
    may come from a worker process)."""

    digest: str = ""
    note: Note | None = None
    claims: tuple[Claim, ...] = ()
    problem: Problem | None = None
    keeps_note: bool = False
    """The file could not be read: its content is unknown, not bad (a permission, a sync
    client's placeholder may be fixed by the next run), so the note it held stays. Every
    problem is recorded (`stats` counts it) and tried again on every run."""
    unchanged: bool = False
    """The bytes hash as before (a touched file): only the mtime is new."""


def _prepare(path: str, size: int, old_digest: str) -> _Prepared:
    """Read, hash, parse and extract claims: all of indexing one file but the store write.

    Never raises: a parser bug on one file (anything but NoteParseError) is that file's
    problem, not the end of the run."""
    source = path
    try:
        check_size(size, source)
        with open(path, "rb") as file:
            data = file.read()
    except NoteParseError as error:
        return _Prepared(problem=Problem.from_error(error))
    except OSError as error:
        return _Prepared(problem=Problem(source, f"cannot be read ({error.strerror})",
                                         hint="check the file's permissions"), keeps_note=True)
    digest = content_hash(data)
    if digest == old_digest:
        return _Prepared(digest, unchanged=True)
    try:
        note = parse_bytes(data, source)
        claims = extract_claims(note)
        if claims_cut_short(note) >= 0:
            note = replace(note, warnings=(*note.warnings, ParseWarning(0, (
                f"claims were read from the first {MAX_CLAIM_TEXT:,} characters only (the note is "
                f"longer: split it to have the rest read)"))))
        return _Prepared(digest, note, claims)
    except NoteParseError as error:
        return _Prepared(digest, problem=Problem.from_error(error))
    except Exception as error:  # noqa: BLE001 - see the docstring
        return _Prepared(digest, problem=Problem(
            source, f"could not be parsed ({type(error).__name__}: {str(error)[:200]})",
            hint="this is a bug in notesgraph; please report it with the file"))


_PARALLEL_FROM = 48
"""Changed files from which reading and parsing go to worker processes (below it, starting
them costs more than it saves)."""


def _can_fork() -> bool:
    """Worker processes are forked: only from a single-threaded process (the CLI), never from
    the app, whose threads a fork would copy in an unknown state."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1


def _prepared(todo: list[_FileState], known: dict[str, FileRecord]) -> Iterator[_Prepared]:
    """`_prepare` of each file of `todo`, in order: in this process, or, for many files, in
    forked worker processes that parse ahead while this one writes (see `_forked`).
    Closing the iterator stops the workers."""
    jobs = [(state.path, state.size, _ok_digest(known.get(state.path))) for state in todo]
    if len(jobs) < _PARALLEL_FROM or not _can_fork():
        for job in jobs:
            yield _prepare(*job)
        return
    yield from _forked(jobs, min(4, os.cpu_count() or 1))


def _forked(jobs: list[tuple[str, int, str]], workers: int) -> Iterator[_Prepared]:
    """`_prepare(*job)` for each job, in order, from `workers` forked processes: worker k takes
    jobs k, k + workers, ... and streams its results down a pipe, which this process reads
    in turn (the pipe's buffer bounds how far a worker runs ahead).

    Plain fork and pipes: a process pool's manager threads, queues and per-task messages cost
    more than parsing a small vault. A worker that dies (killed, out of memory) only loses
    speed: its unread jobs are prepared here. Workers exit without running exit handlers, so
    the database connection and output buffers they inherited are never touched."""
    readers: list[Any] = []
    pids: list[int] = []
    gc.freeze()  # the collector would touch every inherited object: a copy of each page it is on
    try:
        for k in range(workers):
            read_end, write_end = os.pipe()
            _widen(write_end)
            pid = os.fork()
            if pid == 0:  # the worker
                status = 1
                try:
                    gc.disable()  # it lives a moment; cycles are freed when it exits
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    os.close(read_end)
                    with os.fdopen(write_end, "wb") as out:
                        for job in jobs[k::workers]:
                            pickle.dump(_prepare(*job), out, protocol=pickle.HIGHEST_PROTOCOL)
                            out.flush()
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            readers.append(os.fdopen(read_end, "rb"))
            pids.append(pid)
        gc.unfreeze()
        alive = [True] * workers
        for i, job in enumerate(jobs):
            k = i % workers
            if alive[k]:
                try:
                    yield pickle.load(readers[k])
                    continue
                except (EOFError, pickle.UnpicklingError, OSError):
                    alive[k] = False
            yield _prepare(*job)
    finally:
        gc.unfreeze()
        for reader in readers:
            reader.close()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)  # done already, or the run stopped early
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


_PIPE_BYTES = 1 << 20


def _widen(pipe: int) -> None:
    """Let a worker run up to 1 MiB ahead (Linux; the default 64 KiB holds a few notes, so
    workers stalled while this process wrote a batch). Where it cannot be set, workers only
    wait more."""
    try:
        import fcntl
    except ImportError:
        return
    for size in (_PIPE_BYTES, _PIPE_BYTES // 4):  # an unprivileged process may not exceed fs.pipe-max-size
        try:
            fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
            return
        except OSError:
            continue


def _ok_digest(record: FileRecord | None) -> str:
    return record.content_hash if record is not None and record.status == "ok" else ""


_BATCH_FILES = 32
_BATCH_SECONDS = 0.5
"""Notes are committed in batches of this many files, or after this long: a kill loses at most
one batch (the next run redoes it); Ctrl+C or Cancel commits the batch and stops."""


def _store_one(store: Store, state: _FileState, prepared: _Prepared, record: FileRecord | None,
               report: IndexReport, batch: list[tuple[Note, str, int, int, tuple[Claim, ...]]]) -> None:
    """Queue one prepared note for the next batch write, or record its problem now."""
    path = state.path
    if prepared.problem is not None:
        _record_problem(store, state, prepared, report)
        return
    if prepared.unchanged:
        store.touch_file(path, state.size, state.mtime_ns)
        report.unchanged += 1
        return
    assert prepared.note is not None
    batch.append((prepared.note, path, state.size, state.mtime_ns, prepared.claims))
    report.warnings += len(prepared.note.warnings)
    if record is not None and record.note_id is not None:  # an unreadable file's note, too
        report.updated += 1
    else:
        report.added += 1


_DATA_ERRORS = (TypeError, ValueError, OverflowError, sqlite3.IntegrityError, sqlite3.InterfaceError)
"""What writing one note's rows can raise because of that note (a value SQLite cannot hold);
anything else (a locked or full disk, an I/O error) is about the database and stops the run."""


def _save_batch(store: Store, batch: list[tuple[Note, str, int, int, tuple[Claim, ...]]],
                report: IndexReport, replacing: Collection[str] = ()) -> None:
    """Write a batch in one transaction; if a note's rows cannot be written, write the batch
    file by file so that only that file becomes a problem (the rest of the batch is saved).
    `replacing`: the paths that were indexed before (counted as updated, not added)."""
    try:
        store.save_notes(batch)
        return
    except _DATA_ERRORS:
        pass  # rolled back whole: find the file
    for save in batch:
        try:
            store.save_notes([save])
        except _DATA_ERRORS as error:
            note, path, size, mtime_ns, _ = save
            if path in replacing:  # counted when it was queued
                report.updated -= 1
            else:
                report.added -= 1
            problem = Problem(path, f"could not be stored ({type(error).__name__}: {str(error)[:200]})",
                              hint="this is a bug in notesgraph; please report it with the file")
            report.problems.append(problem)
            store.save_problem(path, size, mtime_ns, note.content_hash, problem.message, 0, problem.hint)


def _record_problem(store: Store, state: _FileState, prepared: _Prepared, report: IndexReport) -> None:
    problem = prepared.problem
    assert problem is not None
    report.problems.append(problem)
    store.save_problem(problem.path, state.size, state.mtime_ns, prepared.digest, problem.message,
                       problem.line, problem.hint, keep_note=prepared.keeps_note)


@dataclass
class CheckReport:
    """Everything `check` found, without writing anything."""

    folder: str
    notes: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored: list[NotANote] = field(default_factory=list)


def check_folder(folder: Path | str) -> CheckReport:
    """Parse every note file in `folder` and report problems and warnings; writes nothing."""
    root = resolve_folder(folder)
    files, ignored = _walk(root)
    report = CheckReport(str(root), ignored=ignored)
    for state, prepared in zip(files, _prepared(files, {})):  # as indexing reads and parses them
        if prepared.problem is not None:
            report.problems.append(prepared.problem)
            continue
        assert prepared.note is not None
        report.notes += 1
        report.warnings.extend(Problem(state.path, w.message, w.line) for w in prepared.note.warnings)
    return report
