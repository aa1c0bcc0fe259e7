"""Runs: create one, execute it in its own process, watch, cancel, resume, recover from a crash.

This module owns runs: the CLI and the app call `start_run`, `run_details`, `list_runs`,
`watch_runs`, `follow_run`, `cancel_run`, `resume_run`, `runs_of_claim` and `claims_of_run`,
and get frozen `Run` and `RunDetails` objects (notesgraph.model) back, never rows or SQL.

The store is the only channel between the process that asks for a run (CLI, app) and the
worker process that executes it: the run row carries status, progress, the worker's pid and a
cancel flag; each finished condition's results are written in one transaction. So the app
stays responsive, a crashing experiment cannot take it (or the database) down, a cancelled run
keeps its finished conditions, and `resume` skips them. A run whose worker died is marked
interrupted by `mark_interrupted`, which every entry point calls on start (and `wait_for` while
it waits): LocalBackend records its worker's pid at launch, so a worker that dies before it
claims its run is seen too, and a queued run that no worker took up within LAUNCH_GRACE s
(a launcher killed mid-way, a backend that lost the job) is interrupted, so it can be resumed.

Backends: `LocalBackend` starts `python -m notesgraph.experiments.runner DB RUN_ID`, which runs
the conditions in its own process. `RayBackend` (ray_backend.py) starts the same worker with
`--ray ADDRESS`: it claims the run the same way, then runs each condition as a Ray task and
writes what the tasks return, so the database never leaves this machine. Another engine only
needs `submit(db_path, run_id)` (a `Backend`, passed to `start_run` and `resume_run`) whose
worker claims the run (or whose submit calls `Store.record_worker`) within LAUNCH_GRACE s.
"""

from __future__ import annotations

import csv
import inspect
import importlib.metadata
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from notesgraph import __version__
from notesgraph.claims import ClaimNotFound, StoredClaim, stored_claim, stored_claims
from notesgraph.experiments.provenance import code_version
from notesgraph.experiments.registry import default_experiment, experiment, implementation
from notesgraph.experiments.spec import ClaimTest, ExperimentError, ExperimentSpec, Parameter, Progress, Result
from notesgraph.model import Run, RunDetails, RunStatus
from notesgraph.store import Store

__all__ = ["BACKENDS", "FINISHED", "LAUNCH_GRACE", "PARALLEL", "Backend", "LocalBackend", "RunNotFound", "RunStatus",
           "cancel_run", "claims_of_run", "code_version", "redraw", "create_run", "deterministic_torch", "environment",
           "execute", "follow_run", "list_runs", "make_backend", "mark_interrupted", "resume_run", "run_details",
           "run_folder", "run_results", "runs_of_claim", "start_run", "wait_for", "watch_runs"]

FINISHED = frozenset({"done", "failed", "cancelled", "interrupted"})
RESUMABLE = frozenset({"failed", "cancelled", "interrupted"})
THREADS = 1
"""Threads a worker may use (BLAS, OpenMP, torch): fixed, so results do not depend on the machine."""
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
BACKENDS = ("local", "ray")
"""Where a run may execute: this machine's processes, or a Ray cluster (`make_backend`)."""
_PROGRESS_EVERY = 0.2
"""Seconds between progress writes; also how often a worker looks for a cancel request."""
_WORKER_MODULE = "notesgraph.experiments.runner"
LAUNCH_GRACE = 5.0
"""Seconds a queued run may go without a recorded worker before whoever looks at it marks it
interrupted. LocalBackend records its worker's pid within milliseconds of queueing the run."""
PARALLEL = Parameter("parallel", 1, 1, 256, "runs that may run at once, this one included")
"""LocalBackend's one setting, range-checked like an experiment's parameters: below 1, no run
could ever take a slot, and every later run would queue behind one that waits forever."""


class RunCancelled(Exception):
    """Raised in a worker when its run was cancelled (a flag in the store, or SIGTERM)."""


class RunNotFound(ExperimentError, LookupError):
    """No run has this id."""


class Backend(Protocol):
    """Where runs execute: `submit` starts a worker that calls `execute(db_path, run_id)`."""

    def submit(self, db_path: Path | str, run_id: int) -> Any: ...


def run_folder(db_path: Path | str, run_id: int) -> Path:
    """A run's artefacts folder, beside the database: <db stem>-runs/<id>/."""
    db = Path(db_path)
    return db.parent / f"{db.stem}-runs" / str(run_id)


# -- asking for runs ----------------------------------------------------------------------------

def _claim(store: Store, claim_id: int) -> StoredClaim:
    try:
        return stored_claim(store, claim_id)
    except ClaimNotFound as error:
        raise ExperimentError(f"{error} (see `notesgraph claims`)") from None


def _claims_tested(store: Store, spec: ExperimentSpec, claim_id: int | None) -> list[tuple[str, str, str]]:
    """(claim key, claim test, note hash) of the stored claims `spec` tests: only `claim_id` when
    given (ExperimentError when there is no such claim or the spec does not test it), else every
    matching claim."""
    claim = None if claim_id is None else _claim(store, claim_id)
    found = []
    for row in store.claim_rows(None if claim is None else [claim.note_id]):
        if claim is not None and row["id"] != claim.id:
            continue
        tests: list[ClaimTest] = [test for test in spec.claims if test.matches(row["text"])]
        if claim_id is not None and not tests:
            raise ExperimentError(f"{spec.name} does not test claim:{claim_id} ({row['text'][:80]!r})")
        found.extend((row["key"], test.name, row["note_hash"]) for test in tests)
    return found


def create_run(store: Store, name: str, parameters: Mapping[str, Any] | None = None,
               seeds: Sequence[int] | None = None, quick: bool = False, claim_id: int | None = None) -> int:
    """A queued run of experiment `name` (nothing executes yet; see LocalBackend.submit).
    Parameters and seeds are checked against the spec's ranges and resolved now, before any row
    is written, so a bad request never reaches a worker and the run records every value it uses.
    Raises ExperimentError for an unknown name, parameter or claim, or a value out of range."""
    if store.path == ":memory:":
        raise ExperimentError("runs need a database file (a worker process must open it)")
    spec = experiment(name)
    values = spec.resolve(parameters, quick)
    chosen = spec.check_seeds(seeds)
    claims = _claims_tested(store, spec, claim_id)
    return store.insert_run(spec.name, spec.version, values, list(chosen), quick,
                            lambda run_id: str(run_folder(store.path, run_id)), claims)


def _row(store: Store, run_id: int) -> dict[str, Any]:
    row = store.run_row(run_id)
    if row is None:
        raise RunNotFound(f"there is no run {run_id} (see `notesgraph runs`)")
    return row


def _worker_alive(pid: int | None) -> bool:
    """Whether `pid` is a live runner worker (not a zombie, not a reused pid of something else).
    A process whose command line is still empty is one mid-exec (LocalBackend records the pid as
    soon as Popen returns, milliseconds before the kernel fills it in): alive, unless it is a
    kernel thread (parent 0 or 2, kthreadd)."""
    if not pid:
        return False
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        try:
            state, parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            command = (proc / "cmdline").read_bytes()
        except OSError:
            return False
        if state in ("Z", "X"):
            return False
        return _WORKER_MODULE.encode() in command or (not command and parent not in ("0", "2"))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not Path("/proc").exists()


def _waited(store: Store, row: dict[str, Any]) -> float:
    """Seconds since a queued run was (last) queued. One query."""
    since = store.queued_since(row["id"]) or row["created_at"]
    return (datetime.now(timezone.utc) - datetime.fromisoformat(since)).total_seconds()


def _stalled(store: Store, row: dict[str, Any]) -> str | None:
    """Why a queued or running run can never finish by itself, or None: its recorded worker is
    gone (before or after claiming it), or no worker was recorded within LAUNCH_GRACE s of its
    queueing. One /proc read, or one query for a queued run without a worker."""
    pid = row["pid"]
    if pid is not None:
        if _worker_alive(pid):
            return None
        if row["status"] == "queued":
            return f"worker {pid} ended before it started the run"
        return f"worker {pid} ended without finishing"
    if row["status"] == "queued" and _waited(store, row) > LAUNCH_GRACE:
        return f"no worker started the run within {LAUNCH_GRACE:g} s of queueing it"
    return None


def mark_interrupted(store: Store) -> list[int]:
    """Mark queued or running runs that cannot finish (see `_stalled`) as interrupted, which
    `resume_run` accepts; returns their ids. Call on start of anything that shows or runs runs.
    A run a worker claims meanwhile is left alone. O(unfinished runs)."""
    found = []
    for row in store.run_rows(["running", "queued"]):
        reason = _stalled(store, row)
        if reason is not None and store.interrupt_run(row["id"], row["status"], row["pid"], reason):
            found.append(row["id"])
    return found


def cancel_run(store: Store, run_id: int, wait: float | None = None) -> str:
    """Ask a run to stop: its worker sees the request within ~0.2 s (and gets SIGTERM), keeps the
    conditions it finished and ends as cancelled. A run with no live worker is cancelled at once.
    Returns the status now, or with `wait`, once the run finished (TimeoutError after `wait` s)."""
    mark_interrupted(store)
    row = _row(store, run_id)
    if row["status"] in FINISHED:
        return row["status"]
    store.update_run(run_id, cancel_requested=1)
    if _worker_alive(row["pid"]):
        if row["status"] == "running":
            os.kill(row["pid"], signal.SIGTERM)
        return row["status"] if wait is None else wait_for(store, run_id, timeout=wait)["status"]
    store.finish_run(run_id, "cancelled")
    store.add_run_log(run_id, "cancelled before a worker ran it")
    return "cancelled"


def resume_run(store: Store, run_id: int, backend: Backend | None = None) -> Run:
    """Queue a failed, cancelled or interrupted run again, and start it on `backend` when given;
    its worker skips finished conditions. Raises ExperimentError for a run that is queued,
    running or done (RunNotFound for no run)."""
    mark_interrupted(store)
    row = _row(store, run_id)
    if row["status"] not in RESUMABLE:
        raise ExperimentError(f"run {run_id} is {row['status']}; only failed, cancelled or interrupted runs resume")
    done = store.finished_conditions(run_id)
    # Logged first: the log line starts the launch clock (LAUNCH_GRACE) of the queued run.
    store.add_run_log(run_id, f"resumed; {len(done)} finished condition(s) kept: {', '.join(done) or 'none'}")
    store.update_run(run_id, status="queued", cancel_requested=0, pid=None, error="", finished_at=None)
    if backend is not None:
        _submit(store, run_id, backend)
    return _as_run(_row(store, run_id))


def run_results(store: Store, run_id: int) -> list[Result]:
    return [Result(*row) for row in store.run_results(run_id)]


def wait_for(store: Store, run_id: int, timeout: float | None = None,
             on_progress: Callable[[dict[str, Any]], None] | None = None, poll: float = 0.1,
             until: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Poll the run's row until it is finished (or `until(row)` is true); returns the row.
    Raises TimeoutError after `timeout` seconds. Costs one small query per `poll` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        row = _row(store, run_id)
        if on_progress is not None:
            on_progress(row)
        if (until(row) if until is not None else row["status"] in FINISHED):
            return row
        if row["status"] in ("running", "queued") and _stalled(store, row) is not None:
            mark_interrupted(store)
            continue
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} is still {row['status']} after {timeout} s")
        time.sleep(poll)


class LocalBackend:
    """Runs each run in a new Python process on this machine; `parallel` runs at once at most
    (one after another by default). The process outlives its caller's Ctrl-C (own session)."""

    def __init__(self, parallel: int = 1) -> None:
        """ExperimentError for `parallel` outside PARALLEL's range, before any run is written."""
        self.parallel = int(PARALLEL.parse(parallel))

    def submit(self, db_path: Path | str, run_id: int) -> subprocess.Popen[bytes]:
        """Start the worker and record its pid in the run at once (one short write), so a worker
        that dies before it claims the run (killed, a broken interpreter) is seen as gone."""
        folder = run_folder(db_path, run_id)
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **{name: str(THREADS) for name in THREAD_VARIABLES}}
        with open(folder / "worker.log", "ab") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", _WORKER_MODULE, str(db_path), str(run_id), *self.worker_arguments()],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        with Store(db_path) as store:
            store.record_worker(run_id, worker.pid)
        return worker

    def worker_arguments(self) -> list[str]:
        """The worker's options after DB RUN_ID (RayBackend adds where to send the conditions)."""
        return ["--parallel", str(self.parallel)]


def make_backend(name: str = "local", address: str | None = None, parallel: int = 1) -> Backend:
    """The backend called `name` (BACKENDS): LocalBackend, or RayBackend at `address` (None: start or
    join a Ray instance on this machine; "auto": the cluster this machine belongs to; host:port).
    ExperimentError for another name, an address without Ray, or Ray not installed."""
    if name == "ray":
        from notesgraph.experiments.ray_backend import RayBackend

        return RayBackend(address, parallel)
    if name != "local":
        raise ExperimentError(f"backend {name!r} is not one of: {', '.join(BACKENDS)}")
    if address:
        raise ExperimentError(f"an address ({address}) is for the ray backend: add --backend ray")
    return LocalBackend(parallel)


# -- what the CLI and the app call ---------------------------------------------------------------

_RUN_FIELDS = tuple(field.name for field in fields(Run))


def _as_run(row: dict[str, Any]) -> Run:
    return Run(**{**{name: row[name] for name in _RUN_FIELDS}, "seeds": tuple(row["seeds"])})


def start_run(store: Store, name: str | None, claim_id: int | None = None, parameters: Mapping[str, Any] | None = None,
              seeds: Sequence[int] | None = None, quick: bool = False, backend: Backend | None = None) -> Run:
    """Queue a run of experiment `name` (None: the cheapest that tests claim `claim_id`, as the
    registry picks it), linked to claim `claim_id` when given, and start it on `backend` (default:
    a LocalBackend, one run after another). Raises ExperimentError for an unknown experiment,
    parameter or claim, or a claim no experiment tests."""
    mark_interrupted(store)
    if name is None:
        if claim_id is None:
            raise ExperimentError("name an experiment or a claim to run")
        name = default_experiment(claim_id, _claim(store, claim_id).claim.text).name
    run_id = create_run(store, name, parameters, seeds, quick, claim_id)
    _submit(store, run_id, backend or LocalBackend())
    return _as_run(_row(store, run_id))


def _submit(store: Store, run_id: int, backend: Backend) -> None:
    """Start the run's worker. A backend that cannot (no run folder, no interpreter) fails the
    run at once, so it is resumable rather than queued for ever, and says so (ExperimentError)."""
    try:
        backend.submit(store.path, run_id)
    except Exception as error:  # noqa: BLE001 - whatever stopped the launch is the user's to read
        reason = f"could not start a worker: {type(error).__name__}: {error}"
        store.finish_run(run_id, "failed", error=reason)
        store.add_run_log(run_id, f"failed: {reason}")
        raise ExperimentError(f"run {run_id} {reason}; fix that, then `notesgraph runs resume {run_id}`") from error


def _details(store: Store, run: Run) -> RunDetails:
    folder = Path(run.folder) if run.folder else None
    plot, report = (folder / "results.png", folder / "report.md") if folder else (None, None)
    return RunDetails(run, tuple(store.finished_conditions(run.id)), tuple(store.run_results(run.id)),
                      tuple(store.run_verdicts(run.id)), tuple(store.run_claims(run.id)), tuple(store.run_log(run.id)),
                      plot=str(plot) if plot is not None and plot.exists() else None,
                      report=report.read_text(encoding="utf-8") if report is not None and report.exists() else None)


def run_details(store: Store, run_id: int) -> RunDetails:
    """A run with everything it wrote (results, verdicts, claims, log, plot, report): what its
    page shows. Raises RunNotFound (an ExperimentError and a LookupError). Six queries."""
    mark_interrupted(store)
    return _details(store, _as_run(_row(store, run_id)))


def list_runs(store: Store, limit: int = -1) -> list[Run]:
    """Runs, newest first (the `limit` newest when not -1); dead workers' runs are marked
    interrupted first. One query, plus one per unfinished run."""
    mark_interrupted(store)
    return [_as_run(row) for row in store.run_rows(limit=limit)]


def watch_runs(store: Store, run_ids: Iterable[int]) -> dict[int, Run]:
    """run id -> the run as it is now, for a watcher that polls (the app's timer); a run whose
    worker died is marked interrupted, a run no longer stored is left out. Does not block."""
    mark_interrupted(store)
    return {row["id"]: _as_run(row) for row in store.run_rows(run_ids=list(run_ids))}


def follow_run(store: Store, run_id: int, on_progress: Callable[[Run], None] | None = None,
               timeout: float | None = None) -> Run:
    """Wait until the run finishes (a dead worker: interrupted) and return it, calling
    `on_progress(run)` every 0.1 s meanwhile. Raises TimeoutError after `timeout` seconds; a
    KeyboardInterrupt is the caller's (`cancel_run` stops the run, finished conditions kept)."""
    show = None if on_progress is None else (lambda row: on_progress(_as_run(row)))
    return _as_run(wait_for(store, run_id, timeout=timeout, on_progress=show))


def runs_of_claim(store: Store, claim_key: str) -> list[RunDetails]:
    """The runs that tested the claim with this key (which survives re-indexing), newest first,
    each with what it wrote: what the claim's panel shows."""
    rows = store.run_rows(run_ids=store.claim_run_ids(claim_key))
    return [_details(store, _as_run(row)) for row in rows]


def claims_of_run(store: Store, run_id: int) -> list[StoredClaim]:
    """The stored claims a run tests, with their evidence status; reads only their notes' claims."""
    tested = store.run_claim_notes(run_id)
    return [claim for claim in stored_claims(store, set(tested.values())) if claim.claim.key in tested]


# -- the worker ---------------------------------------------------------------------------------

def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return ""


def environment() -> dict[str, Any]:
    """What a repeat needs to know: code version, Python, numpy/torch versions (read from package
    metadata, not imported), threads, machine."""
    return {"code_version": code_version(), "notesgraph": __version__, "python": platform.python_version(),
            "numpy": _version("numpy"), "torch": _version("torch"), "threads": THREADS,
            "platform": platform.platform(), "cpus": os.cpu_count()}


def _write_artefacts(folder: Path, row: dict[str, Any], results: Sequence[Result],
                     verdicts: Sequence[tuple[str, str, str, str, bool]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "results.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["condition", "metric", "value", "ci_low", "ci_high", "n"])
        writer.writerows((r.condition, r.metric, repr(r.value), repr(r.ci_low), repr(r.ci_high), r.n) for r in results)
    record = {key: row[key] for key in ("id", "experiment", "version", "parameters", "seeds", "quick",
                                        "environment", "created_at", "started_at")}
    record["verdicts"] = [dict(zip(("claim", "condition", "verdict", "reason", "primary"), v)) for v in verdicts]
    (folder / "run.json").write_text(json.dumps(record, indent=2), encoding="utf-8")


def _optional(function: Any, row: dict[str, Any], names: Sequence[str] = ("workdir", "parameters")) -> dict[str, Any]:
    """The run's context an experiment function asks for by naming it: `workdir` (the run's
    folder, for caching work between conditions) and `parameters` (say, to name the model family
    a report is about)."""
    accepted = inspect.signature(function).parameters
    offered = {"workdir": Path(row["folder"]), "parameters": row["parameters"]}
    return {name: offered[name] for name in names if name in accepted}


def _plot(store: Store, module: Any, spec: ExperimentSpec, row: dict[str, Any], results: Sequence[Result],
          out: Path | None = None) -> None:
    """results.png (in `out`, else the run folder) via the experiment's plot(), when it has one;
    a plotting error is logged, it does not fail a run whose numbers are stored."""
    if not hasattr(module, "plot"):
        return
    try:
        module.plot(spec, results, str((out or Path(row["folder"])) / "results.png"), **_optional(module.plot, row))
    except Exception as error:  # noqa: BLE001 - the numbers matter, the picture is a convenience
        store.add_run_log(row["id"], f"no plot: {type(error).__name__}: {error}")


def _report(store: Store, module: Any, spec: ExperimentSpec, row: dict[str, Any], results: Sequence[Result],
            out: Path | None = None) -> None:
    """report.md (in `out`, else the run folder) via the experiment's report() (Markdown tables a
    reader can take in at a glance, beside the long results.csv), when it has one; an error is
    logged, never fails the run."""
    if not hasattr(module, "report"):
        return
    try:
        text = module.report(spec, results, **_optional(module.report, row))
        ((out or Path(row["folder"])) / "report.md").write_text(text, encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - the numbers are stored; the report is a convenience
        store.add_run_log(row["id"], f"no report: {type(error).__name__}: {error}")


def redraw(store: Store, run_id: int, out: Path) -> None:
    """A finished run's report.md and results.png drawn again into `out` from its stored rows
    with the current code (a report's layout changed after the run; the numbers are the run's)."""
    row = _row(store, run_id)
    spec = experiment(row["experiment"])
    out.mkdir(parents=True, exist_ok=True)
    module, results = implementation(spec), run_results(store, run_id)
    _plot(store, module, spec, row, results, out)
    _report(store, module, spec, row, results, out)


def deterministic_torch() -> None:
    """Fix torch's threads and ask for deterministic kernels, when an experiment imported torch
    (never imports it itself: an experiment without torch pays nothing)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(THREADS)
        torch.use_deterministic_algorithms(True, warn_only=True)


def _on_sigterm(signum: int, frame: object) -> None:
    raise RunCancelled()


ConditionRunner = Callable[[Store, ExperimentSpec, dict[str, Any]], None]
"""Runs a claimed run's unfinished conditions, saving each as it finishes (RunCancelled on a cancel)."""


def execute(db_path: Path | str, run_id: int, parallel: int = 1, conditions: ConditionRunner | None = None) -> str:
    """The worker: wait for a slot, run every unfinished condition (in this process, or with
    `conditions` elsewhere: ray_backend), store results, verdicts and artefacts; returns the final
    status. Never raises for an experiment's error (status failed)."""
    with Store(db_path) as store:
        mark_interrupted(store)
        while (status := store.claim_run_slot(run_id, os.getpid(), parallel)) == "queued":
            time.sleep(_PROGRESS_EVERY)
            mark_interrupted(store)
        if status != "running":
            return status
        signal.signal(signal.SIGTERM, _on_sigterm)
        store.update_run(run_id, environment=environment())
        row = _row(store, run_id)
        try:
            spec = experiment(row["experiment"])
            store.update_run(run_id, environment={**row["environment"], "design": spec.design_fingerprint()})
            row = _row(store, run_id)
            if spec.version != row["version"]:
                raise ExperimentError(f"run {run_id} used {spec.name} version {row['version']}; "
                                      f"this notesgraph has version {spec.version}")
            (conditions or _run_conditions)(store, spec, row)
            row = _row(store, run_id)  # a backend may have added to the environment
            module = implementation(spec)
            results = run_results(store, run_id)
            verdicts = [(v.claim, v.condition, v.verdict, v.reason, v.primary)
                        for v in module.claim_verdicts(spec, results, **_optional(module.claim_verdicts, row))]
            _write_artefacts(Path(row["folder"]), row, results, verdicts)
            _plot(store, module, spec, row, results)
            _report(store, module, spec, row, results)
            store.finish_run(run_id, "done", verdicts)
            store.add_run_log(run_id, f"done: {len(results)} results, {len(verdicts)} verdicts")
            return "done"
        except RunCancelled:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            done = store.finished_conditions(run_id)
            _write_artefacts(Path(row["folder"]), row, run_results(store, run_id), [])
            store.finish_run(run_id, "cancelled")
            store.add_run_log(run_id, f"cancelled; kept {len(done)} finished condition(s): {', '.join(done) or 'none'}")
            return "cancelled"
        except Exception as error:  # noqa: BLE001 - an experiment's bug ends its run, not the worker
            store.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
            store.add_run_log(run_id, "failed:\n" + traceback.format_exc())
            return "failed"


def _run_conditions(store: Store, spec: ExperimentSpec, row: dict[str, Any]) -> None:
    """Each condition not yet finished, in spec order; raises RunCancelled on a cancel request."""
    run_id, module = row["id"], implementation(spec)
    deterministic_torch()
    finished = set(store.finished_conditions(run_id))
    count = len(spec.conditions)
    store.add_run_log(run_id, f"started worker {os.getpid()}; skipping finished: {', '.join(sorted(finished)) or 'none'}")
    last = 0.0
    extra = _optional(module.run_condition, row, ("workdir",))  # parameters go in by position
    for position, condition in enumerate(spec.conditions):
        if condition in finished:
            continue
        results: list[Result] = []
        for item in module.run_condition(condition, row["parameters"], row["seeds"], **extra):
            if isinstance(item, Progress):
                now = time.monotonic()
                if now - last >= _PROGRESS_EVERY or item.step >= item.total:
                    last = now
                    done = position * 1000 + (1000 * item.step) // max(item.total, 1)
                    if store.set_run_progress(run_id, done, count * 1000, item.message):
                        raise RunCancelled()
            else:
                results.append(item)
        store.save_run_condition(run_id, condition, position,
                                 [(r.condition, r.metric, r.value, r.ci_low, r.ci_high, r.n) for r in results])
        store.add_run_log(run_id, f"condition {condition} finished: {len(results)} results")
    store.set_run_progress(run_id, count * 1000, count * 1000, "all conditions finished")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m notesgraph.experiments.runner DB RUN_ID [--parallel N] [--ray ADDRESS]`: the worker
    process (with --ray, the driver that sends the conditions to Ray: ray_backend)."""
    import argparse

    parser = argparse.ArgumentParser(prog="notesgraph-run-worker")
    parser.add_argument("db")
    parser.add_argument("run_id", type=int)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--ray", metavar="ADDRESS", help="run the conditions on Ray at ADDRESS (local: this machine)")
    args = parser.parse_args(argv)
    conditions = None
    if args.ray:
        from notesgraph.experiments.ray_backend import RayConditions

        conditions = RayConditions(args.ray)
    status = execute(args.db, args.run_id, args.parallel, conditions)
    return 0 if status in ("done", "cancelled") else 1


if __name__ == "__main__":  # run as the imported module, whose RunCancelled ray_backend raises
    from notesgraph.experiments import runner

    sys.exit(runner.main())
