"""The database connection: opening (WAL, foreign keys), transactions, migrating, raw reads.

StoreConnection is the base every table family builds on (notesgraph.store.notes, vectors,
claims, runs); the shared helpers for timestamps and `IN (...)` filters live here too.
"""

from __future__ import annotations

import sqlite3
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
            conn.execute("PRAGMA foreign_keys = ON")
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 5000")
            self.db = sqlite_utils.Database(conn)
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(f"cannot open the database {self.path}: {error} "
                             "(delete it to start a fresh index, or pass --db PATH)") from None

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
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = self.schema_version()
        if applied > len(MIGRATIONS):
            raise StoreError(f"the database {self.path} has schema version {applied}, newer than this "
                             f"notesgraph ({len(MIGRATIONS)}); upgrade notesgraph or use another --db")
        done = {row[0] for row in self.db.execute("SELECT version FROM migrations")}
        # By number, not by the highest: a missing one is still applied.
        pending = [(v, name, m) for v, (name, m) in enumerate(MIGRATIONS, start=1) if v not in done]
        if not pending:
            return
        script = _Script()
        for _, _, migrate in pending:
            migrate(script)
        conn = self.db.conn
        # Foreign keys off while migrating: a migration that rebuilds a table (SQLite's way to
        # change a constraint) must not cascade the old table's drop. Checked before the commit.
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            # All pending migrations in one transaction and one executescript (sqlite-utils would
            # split the DDL statement by statement in Python, and a commit each cost as much
            # again: together most of the time a new database took to open).
            conn.executescript("BEGIN IMMEDIATE;\n" + "\n".join(script.parts))
            if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise StoreError(f"migrating {self.path} left rows pointing nowhere")
            conn.executemany("INSERT INTO migrations VALUES (?, ?, ?)",
                             [(version, name, _now()) for version, name, _ in pending])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def schema_version(self) -> int:
        row = self.db.execute("SELECT max(version) FROM migrations").fetchone()
        return row[0] or 0

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    # -- reading ------------------------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

