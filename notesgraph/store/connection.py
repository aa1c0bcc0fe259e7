"""The database connection: opening (WAL, foreign keys), transactions, migrating, raw reads.

StoreConnection is the base every table family builds on (notesgraph.store.notes, vectors,
claims, runs); the shared helpers for timestamps and `IN (...)` filters live here too.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Self

import sqlite_utils

from notesgraph.store.migrations import MIGRATIONS


class StoreError(RuntimeError):
    """The database cannot be opened or used (corrupt file, newer schema, no permission)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _id_filter(column: str, values: Iterable[Any] | None, keyword: str = "WHERE") -> tuple[str, list[Any]]:
    """A `WHERE column IN (...)` clause and its parameters; empty when `values` is None."""
    if values is None:
        return "", []
    values = list(values)
    return f"{keyword} {column} IN ({','.join('?' * len(values)) or 'NULL'})", values


_MIGRATIONS_TABLE = ("CREATE TABLE IF NOT EXISTS migrations "
                     "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of `script`, one at a time; sqlite3.complete_statement says where
    each ends (a trigger's inner semicolons and quoted ones included)."""
    current = ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip().strip(";").strip():
                yield current
            current = ""


BUSY_SECONDS = 5.0
"""How long a connection waits for another's write lock before giving up ('database is locked')."""


def _use_wal(conn: sqlite3.Connection) -> None:
    """Put the database in WAL mode (readers never wait for the writer). Switching needs the
    file to itself, and when two openers of a new database both try, SQLite answers 'locked' at
    once instead of waiting (each would wait for the other): so retry, for as long as the busy
    timeout. Once one has switched, the file stays in WAL and this is a cheap no-op."""
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _open_error(path: str, error: Exception) -> str:
    """What to tell the user when `path` cannot be opened. Deleting the database is advice for
    a damaged file only, never for one that another notesgraph is busy writing."""
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return (f"cannot open the database {path}: {error} (another notesgraph is writing to it; "
                "try again when it is done)")
    return f"cannot open the database {path}: {error} (delete it to start a fresh index, or pass --db PATH)"


class _Script:
    """Collects a migration's DDL, to run it in one executescript."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def executescript(self, sql: str) -> None:
        self.parts.append(sql)


class StoreConnection:
    """A connection to a notesgraph database, migrated to the current schema."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                _use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
            self.db = sqlite_utils.Database(conn)
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(_open_error(self.path, error)) from None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the database, whatever other connections commit
        meanwhile: a deferred read transaction (WAL: it blocks no writer; it only keeps the
        pages it reads until it ends). Several SELECTs that build one view (the graph, a note,
        the counts) need it, or a write landing between them mixes two states. Inside one,
        write nothing (call sync_derived before). Joins a transaction already open."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN DEFERRED")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if conn.in_transaction:
            conn.execute("COMMIT")  # a read transaction: ending it costs nothing

    # -- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Apply the migrations this database lacks. Another process may be opening the same
        new database at this moment: the pending ones are read again under the write lock
        (BEGIN IMMEDIATE waits up to the busy timeout for it) and only what is still pending is
        applied, so one opener migrates and the others find nothing left to do. An up-to-date
        database is read without taking the lock (two small queries)."""
        if not self._pending():
            return
        conn = self.db.conn
        # Foreign keys off while migrating: a migration that rebuilds a table (SQLite's way to
        # change a constraint) must not cascade the old table's drop. Checked before the commit.
        conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set it first
        try:
            conn.execute("BEGIN IMMEDIATE")
            pending = self._pending()
            if pending:
                self._apply(pending)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def _pending(self) -> list[tuple[int, str, Any]]:
        """(version, name, migration) of each migration not applied yet, by number (not by the
        highest: a missing one is still applied); raises StoreError for a newer schema."""
        exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'")
        done = ({row[0] for row in self.db.execute("SELECT version FROM migrations")}
                if exists.fetchone() else set())
        if max(done, default=0) > len(MIGRATIONS):
            raise StoreError(f"the database {self.path} has schema version {max(done)}, newer than this "
                             f"notesgraph ({len(MIGRATIONS)}); upgrade notesgraph or use another --db")
        return [(v, name, m) for v, (name, m) in enumerate(MIGRATIONS, start=1) if v not in done]

    def _apply(self, pending: list[tuple[int, str, Any]]) -> None:
        """Run `pending` inside the open write transaction. Statement by statement: Python's
        executescript would commit the transaction (and so the lock) first. One transaction
        for all of them (a commit each cost as much again as the DDL)."""
        conn = self.db.conn
        conn.execute(_MIGRATIONS_TABLE)
        script = _Script()
        for _, _, migrate in pending:
            migrate(script)
        for statement in _statements("\n".join(script.parts)):
            conn.execute(statement)
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise StoreError(f"migrating {self.path} left rows pointing nowhere")
        conn.executemany("INSERT INTO migrations VALUES (?, ?, ?)",
                         [(version, name, _now()) for version, name, _ in pending])

    def schema_version(self) -> int:
        """The highest migration applied (0 for a database without any)."""
        row = self.db.execute("SELECT max(version) FROM migrations").fetchone()
        return row[0] or 0

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    # -- reading ------------------------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

