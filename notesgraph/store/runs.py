"""Experiment runs: queueing, claiming a slot, progress, per-condition results, log, verdicts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from notesgraph.store.connection import StoreConnection, _id_filter


def _run_time() -> str:
    """Milliseconds: runs that follow each other within a second must still order correctly."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class RunTables(StoreConnection):
    """Experiment runs (migration 4), written by notesgraph.experiments.runner: the CLI or app
    creates a run, a worker process claims it, reports progress and writes each condition's
    results as it finishes. Every write is one short transaction, so the app can read while a
    worker writes (WAL), and a killed worker leaves whole conditions only."""

    def insert_run(self, experiment: str, version: str, parameters: dict[str, Any], seeds: Sequence[int],
                   quick: bool, folder_for: Callable[[int], str],
                   claims: Iterable[tuple[str, str, str]] = ()) -> int:
        """A queued run; `folder_for(id)` names its folder; `claims` are (claim key, claim test,
        note hash) it tests. Its first log line, "queued", starts its launch clock (queued_since).
        Returns its id."""
        with self.transaction() as conn:
            now = _run_time()
            run_id = conn.execute(
                "INSERT INTO runs (experiment, version, parameters, seeds, quick, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                [experiment, version, json.dumps(parameters), json.dumps(list(seeds)), int(quick), now]).lastrowid
            conn.execute("UPDATE runs SET folder = ? WHERE id = ?", [folder_for(run_id), run_id])
            conn.execute("INSERT INTO run_log VALUES (?, ?, ?)", [run_id, now, "queued"])
            conn.executemany("INSERT OR IGNORE INTO run_claims VALUES (?, ?, ?, ?)",
                             [(run_id, key, test, digest) for key, test, digest in claims])
        return run_id

    def run_claim_notes(self, run_id: int) -> dict[str, int]:
        """claim key -> note id of the stored claims a run tested (keys no longer stored are left out)."""
        return dict(self.db.execute(
            "SELECT DISTINCT r.claim_key, c.note_id FROM run_claims r JOIN claims c ON c.key = r.claim_key"
            " WHERE r.run_id = ?", [run_id]).fetchall())

    def run_graph_rows(self, note_ids: Iterable[int] | None = None) -> list[tuple[int, int, str, str, int]]:
        """(run id, claim id, experiment, status, quick) of every run linked to a stored claim
        (of `note_ids`' claims only, when given), newest run first: the graph's run nodes.
        Runs are few; one query from runs through the run_claims and claims key indexes."""
        where, params = _id_filter("c.note_id", note_ids, "AND")
        return self.db.execute(
            "SELECT DISTINCT r.id, c.id, r.experiment, r.status, r.quick FROM runs r"
            " JOIN run_claims rc ON rc.run_id = r.id JOIN claims c ON c.key = rc.claim_key"
            f" WHERE 1 {where} ORDER BY r.id DESC, c.id", params).fetchall()

    def claim_run_ids(self, claim_key: str) -> list[int]:
        """Ids of the runs that tested the claim with this key, newest first."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT run_id FROM run_claims WHERE claim_key = ? ORDER BY run_id DESC", [claim_key])]

    def run_row(self, run_id: int) -> dict[str, Any] | None:
        """One run with parameters, seeds and environment decoded, or None."""
        rows = self.run_rows(run_ids=[run_id])
        return rows[0] if rows else None

    def run_rows(self, statuses: Iterable[str] | None = None, run_ids: Iterable[int] | None = None,
                 limit: int = -1) -> list[dict[str, Any]]:
        """Runs, newest first (of `statuses` / `run_ids` when given)."""
        where, params = _id_filter("status", statuses)
        more, extra = _id_filter("id", run_ids, "AND" if where else "WHERE")
        rows = self.rows(f"SELECT * FROM runs {where} {more} ORDER BY id DESC LIMIT ?", [*params, *extra, limit])
        for row in rows:
            for name in ("parameters", "seeds", "environment"):
                row[name] = json.loads(row[name])
            row["quick"] = bool(row["quick"])
            row["cancel_requested"] = bool(row["cancel_requested"])
        return rows

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set columns of a run (status, pid, error, environment, started_at, finished_at ...)."""
        if "environment" in fields:
            fields["environment"] = json.dumps(fields["environment"])
        names = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE runs SET {names} WHERE id = ?", [*fields.values(), run_id])

    def record_worker(self, run_id: int, pid: int) -> bool:
        """Note the pid of the worker just launched for a queued run that has none yet, so its
        death is seen even before it claims the run; returns whether it was noted (not when
        the worker already claimed or finished it)."""
        with self.transaction() as conn:
            return conn.execute("UPDATE runs SET pid = ? WHERE id = ? AND status = 'queued' AND pid IS NULL",
                                [pid, run_id]).rowcount == 1

    def queued_since(self, run_id: int) -> str | None:
        """When a queued run was queued: its newest log line (insert_run and a resume write one;
        nothing else logs while it waits for a worker), None when it has no log (older runs)."""
        return self.db.execute("SELECT max(at) FROM run_log WHERE run_id = ?", [run_id]).fetchone()[0]

    def interrupt_run(self, run_id: int, status: str, pid: int | None, error: str) -> bool:
        """Mark a run interrupted, with `error` in its row and log, only if it is still `status`
        with worker `pid` (as the caller saw it): a worker that claimed it meanwhile keeps it.
        Returns whether it was marked."""
        with self.transaction() as conn:
            marked = conn.execute("UPDATE runs SET status = 'interrupted', error = ?, finished_at = ?"
                                  " WHERE id = ? AND status = ? AND pid IS ?",
                                  [error, _run_time(), run_id, status, pid]).rowcount == 1
            if marked:
                conn.execute("INSERT INTO run_log VALUES (?, ?, ?)", [run_id, _run_time(), f"interrupted: {error}"])
            return marked

    def claim_run_slot(self, run_id: int, pid: int, parallel: int) -> str:
        """Atomically start a queued run when fewer than `parallel` runs are running and no
        older run waits; returns the run's status afterwards ('running' when it started).
        ValueError for `parallel` below 1: that worker would wait forever, blocking later runs."""
        if parallel < 1:
            raise ValueError(f"parallel={parallel}: at least 1 run must be allowed to run")
        with self.transaction() as conn:
            status, cancel = conn.execute("SELECT status, cancel_requested FROM runs WHERE id = ?",
                                          [run_id]).fetchone()
            if status != "queued":
                return status
            if cancel:
                conn.execute("UPDATE runs SET status = 'cancelled', finished_at = ? WHERE id = ?", [_run_time(), run_id])
                return "cancelled"
            conn.execute("UPDATE runs SET pid = ? WHERE id = ?", [pid, run_id])
            running = conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
            older = conn.execute("SELECT count(*) FROM runs WHERE status = 'queued' AND id < ?"
                                 " AND pid IS NOT NULL", [run_id]).fetchone()[0]
            if running >= parallel or older:
                return "queued"
            conn.execute("UPDATE runs SET status = 'running', started_at = coalesce(started_at, ?),"
                         " finished_at = NULL, error = '' WHERE id = ?", [_run_time(), run_id])
            return "running"

    def set_run_progress(self, run_id: int, done: int, total: int, message: str) -> bool:
        """Record progress; returns whether a cancel was requested (one round trip for both)."""
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET progress_done = ?, progress_total = ?, progress_message = ?"
                         " WHERE id = ?", [done, total, message, run_id])
            return bool(conn.execute("SELECT cancel_requested FROM runs WHERE id = ?", [run_id]).fetchone()[0])

    def save_run_condition(self, run_id: int, condition: str, position: int,
                           results: Iterable[tuple[str, str, float, float, float, int]]) -> None:
        """A finished condition's (condition, metric, value, ci_low, ci_high, n) rows and its mark,
        in one transaction (replacing any earlier rows of that condition)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM run_results WHERE run_id = ? AND condition = ?", [run_id, condition])
            conn.executemany("INSERT INTO run_results VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(run_id, *row) for row in results])
            conn.execute("INSERT OR REPLACE INTO run_conditions VALUES (?, ?, ?, ?)",
                         [run_id, condition, position, _run_time()])

    def finished_conditions(self, run_id: int) -> list[str]:
        """The conditions of a run whose results are stored, in run order."""
        return [row[0] for row in self.db.execute(
            "SELECT condition FROM run_conditions WHERE run_id = ? ORDER BY position", [run_id])]

    def run_results(self, run_id: int) -> list[tuple[str, str, float, float, float, int]]:
        """(condition, metric, value, ci_low, ci_high, n) of a run, in run order (conditions as the
        experiment lists them, each's rows as written): the same whichever condition finished
        first (a Ray run finishes them in any order)."""
        return self.db.execute("SELECT r.condition, metric, value, ci_low, ci_high, n FROM run_results r"
                               " LEFT JOIN run_conditions c ON c.run_id = r.run_id AND c.condition = r.condition"
                               " WHERE r.run_id = ? ORDER BY c.position, r.rowid", [run_id]).fetchall()

    def add_run_log(self, run_id: int, message: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO run_log VALUES (?, ?, ?)", [run_id, _run_time(), message])

    def run_log(self, run_id: int) -> list[tuple[str, str]]:
        """(time, message) lines of a run's log, oldest first."""
        return self.db.execute("SELECT at, message FROM run_log WHERE run_id = ? ORDER BY rowid",
                               [run_id]).fetchall()

    def finish_run(self, run_id: int, status: str, verdicts: Iterable[tuple[str, str, str, str, bool]] = (),
                   error: str = "") -> None:
        """End a run with `status`, and its (claim, condition, verdict, reason, primary) rows."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM run_verdicts WHERE run_id = ?", [run_id])
            conn.executemany("INSERT INTO run_verdicts VALUES (?, ?, ?, ?, ?, ?)",
                             [(run_id, c, k, v, r, int(p)) for c, k, v, r, p in verdicts])
            conn.execute("UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                         [status, error, _run_time(), run_id])

    def run_verdicts(self, run_id: int) -> list[tuple[str, str, str, str, bool]]:
        """(claim test, condition, verdict, reason, primary) of a run."""
        return [(*row[:4], bool(row[4])) for row in self.db.execute(
            'SELECT claim, condition, verdict, reason, "primary" FROM run_verdicts WHERE run_id = ?'
            " ORDER BY rowid", [run_id])]

    def run_claims(self, run_id: int) -> list[tuple[str, str, str]]:
        """(claim key, claim test, note hash) of the claims a run tests."""
        return self.db.execute("SELECT claim_key, test, note_hash FROM run_claims WHERE run_id = ?",
                               [run_id]).fetchall()

    def claim_run_verdicts(self) -> dict[str, list[tuple[str, str, str, str, bool, str]]]:
        """claim key -> (experiment, primary verdict, finished at, note hash, quick, version) of
        every run that tested it; verdict and finished at are '' for runs not done. One query."""
        found: dict[str, list[tuple[str, str, str, str, bool, str]]] = {}
        for key, experiment, verdict, finished, digest, quick, version in self.db.execute(
                "SELECT c.claim_key, r.experiment, coalesce(v.verdict, ''), coalesce(r.finished_at, ''),"
                " c.note_hash, r.quick, r.version FROM run_claims c JOIN runs r ON r.id = c.run_id"
                ' LEFT JOIN run_verdicts v ON v.run_id = c.run_id AND v.claim = c.test AND v."primary"'
                "   AND r.status = 'done' ORDER BY c.run_id"):
            found.setdefault(key, []).append(
                (experiment, verdict, finished if verdict else "", digest, bool(quick), version))
        return found
