"""Runs on a Ray cluster: each condition of a run is a Ray task; the database stays here.

`RayBackend.submit` starts the same worker process as LocalBackend, on this machine, with
`--ray ADDRESS`. That worker claims the run as ever (its pid is the run's, so a dead driver is
seen as an interrupted run), then `RayConditions` connects to Ray and sends each unfinished
condition out as one task (`condition_task`, a streaming generator: progress, then the
condition's Result rows and the files it wrote). The driver writes each finished condition
with the same store call as the local worker (one transaction), so a cluster needs no shared
file system and SQLite is never written from another process, let alone another machine.

Files: a task starts in a scratch folder laid out like `<db>-runs/` (the run's folder and the
shared `cache/`) holding the files the run has so far, taken from Ray's object store, where the
driver puts each file once per run (a pretrained base model is copied to each node once, not per
task); what the task writes or changes comes back and is written to the run folder here.

Seeds are drawn per (seed, condition) by the experiments, so a condition computes the same
numbers in any process: a Ray run equals a local one (tests/test_ray_backend.py checks it).
Cancel: `cancel_run` flags the run and signals the driver, which calls `ray.cancel` on its
tasks. A task whose worker or node dies fails its condition (Ray's own report of the task);
the others finish and are kept, and `runs resume` sends only the unfinished conditions.
Ray is imported only here and only inside the functions that need it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from notesgraph.experiments.registry import experiment, implementation
from notesgraph.experiments.runner import (THREAD_VARIABLES, THREADS, LocalBackend, RunCancelled, _optional,
                                           deterministic_torch, run_folder)
from notesgraph.experiments.spec import ExperimentError, ExperimentSpec, Progress
from notesgraph.store import Store

__all__ = ["LOCAL", "RayBackend", "RayConditions", "condition_task", "stages", "task_resources"]

LOCAL = "local"
"""The address meaning: start or join a Ray instance on this machine (ray.init() without one)."""
_PROGRESS_EVERY = 0.2
"""Seconds between progress reports (a task's) and progress writes and cancel checks (the driver's)."""
_CANCEL_GRACE = 3.0
"""Seconds cancelled tasks get to stop (KeyboardInterrupt) before their workers are killed."""
_STAGING = {"random_baseline": "together", "prompt_sensitivity": "first"}
"""How an experiment's conditions depend on one another; see `stages`. Any other: "first_and_last"."""
_GPU_BACKENDS = frozenset({"hf_seq2seq"})
"""`backend` parameter values that use a GPU when there is one (hf_seq2seq's device "auto")."""
_DRIVER_FILES = frozenset({"worker.log", "results.csv", "results.png", "run.json", "report.md"})
"""The run folder's files the driver writes itself: never sent to a task."""


def stages(spec: ExperimentSpec) -> list[tuple[str, ...]]:
    """The conditions in groups: a group's conditions run at once, each group after the one before.

    The local worker runs conditions in order, each seeing what earlier ones left in the run
    folder. In replication 1 (instruction_tuning) the first condition pretrains the base model
    every other one starts from and the last (`compare`) reads every other's scores; replication 2
    (prompt_sensitivity) builds its models from that base in its first; the random baseline's
    conditions share nothing. So: "together" is one group, "first" runs the first condition alone
    (the shared cache is then built once, not once per task), "first_and_last" also keeps the last
    for after the rest: the safe choice for an experiment this table does not know."""
    conditions = spec.conditions
    staging = _STAGING.get(spec.name, "first_and_last")
    if staging == "together" or len(conditions) == 1:
        return [conditions]
    if staging == "first" or len(conditions) == 2:
        return [conditions[:1], conditions[1:]]
    return [conditions[:1], conditions[1:-1], conditions[-1:]]


def task_resources(spec: ExperimentSpec, parameters: Mapping[str, Any], gpus: float) -> dict[str, float]:
    """Ray resources for one condition: as many CPUs as the run's `threads` parameter (when the
    experiment has one that applies; else the worker's THREADS), and one GPU when the run's
    backend uses one and the cluster has `gpus` (without one Ray hides every GPU from the task)."""
    names = {p.name for p in spec.parameters}
    cpus = int(parameters["threads"]) if "threads" in names and spec.applies("threads", parameters) else THREADS
    wants_gpu = str(parameters.get("backend", "")) in _GPU_BACKENDS and gpus >= 1
    return {"num_cpus": float(cpus), "num_gpus": 1.0 if wants_gpu else 0.0}


class RayBackend(LocalBackend):
    """Starts the run's worker here, which sends each condition to Ray at `address` (None or
    "local": start or join an instance on this machine; "auto": the cluster this machine is part
    of; "HOST:PORT" of a head node). ExperimentError at once when Ray is not installed."""

    def __init__(self, address: str | None = None, parallel: int = 1) -> None:
        super().__init__(parallel)
        if importlib.util.find_spec("ray") is None:
            raise ExperimentError("the ray backend needs Ray: pip install 'notesgraph[ray]'")
        self.address = (address or LOCAL).strip() or LOCAL

    def worker_arguments(self) -> list[str]:
        return [*super().worker_arguments(), "--ray", self.address]


# -- the task: runs in a Ray worker on any node -------------------------------------------------

def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    return {path.relative_to(root).as_posix(): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in root.rglob("*") if path.is_file()}


def condition_task(request: Mapping[str, Any], inputs: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    """One condition, in a scratch folder: yields ("started", host, pid, node id), ("progress", step, total,
    message) at most every 0.2 s, then ("finished", result rows, {path: bytes} of the files it wrote
    or changed, relative to the runs folder). `inputs` maps such paths to object refs of the files
    the run has so far. Raises ExperimentError when this node's experiment is another design."""
    import ray

    spec = experiment(request["experiment"])
    if spec.design_fingerprint() != request["design"]:
        raise ExperimentError(f"{socket.gethostname()} has another design of {spec.name} (fingerprint "
                              f"{spec.design_fingerprint()}, the run's is {request['design']}): install the "
                              "same notesgraph on every node")
    scratch = Path(tempfile.mkdtemp(prefix="notesgraph-ray-"))
    try:
        runs = scratch / "runs"
        for name, data in zip(inputs, ray.get(list(inputs.values()))):
            (runs / name).parent.mkdir(parents=True, exist_ok=True)
            (runs / name).write_bytes(data)
        workdir = runs / str(request["run_id"])
        workdir.mkdir(parents=True, exist_ok=True)
        before = _stamps(runs)
        yield ("started", socket.gethostname(), os.getpid(), ray.get_runtime_context().get_node_id()[:8])
        module = implementation(spec)
        deterministic_torch()
        extra = _optional(module.run_condition, {"folder": workdir, "parameters": request["parameters"]},
                          ("workdir",))
        rows, last = [], 0.0
        for item in module.run_condition(request["condition"], request["parameters"], request["seeds"], **extra):
            if isinstance(item, Progress):
                now = time.monotonic()
                if now - last >= _PROGRESS_EVERY or item.step >= item.total:
                    last = now
                    yield ("progress", item.step, item.total, item.message)
            else:
                rows.append(astuple(item))
        changed = {name: (runs / name).read_bytes() for name, stamp in _stamps(runs).items()
                   if before.get(name) != stamp and not name.endswith(".tmp")}
        yield ("finished", rows, changed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# -- the driver: the run's worker process on this machine -----------------------------------------

def _start_files(runs: Path, run_id: int) -> dict[str, Path]:
    """path under the runs folder -> file, for every file a task of run `run_id` starts with:
    the run folder's (the driver's own artefacts and log aside) and the shared cache's."""
    folder, found = runs / str(run_id), {}
    for top in (folder, runs / "cache"):
        for path in sorted(top.rglob("*")) if top.is_dir() else ():
            if (path.is_file() and not path.name.endswith((".tmp", ".part"))
                    and not (path.parent == folder and path.name in _DRIVER_FILES)):
                found[path.relative_to(runs).as_posix()] = path
    return found


def _check_reachable(address: str) -> None:
    """ExperimentError within seconds when nothing listens at a HOST:PORT address (ray.init would
    wait minutes for it); "local", "auto" and ray:// addresses are left to Ray."""
    host, colon, port = address.rpartition(":")
    if not colon or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except OSError as error:
        raise ExperimentError(f"no Ray head answers at {address} ({error}); start one there with "
                              f"`ray start --head --port {port}`, or give its address") from None


def _init_address(address: str) -> str | None:
    """What ray.init gets for `address`: LOCAL joins the instance `ray start` left on this machine
    (None: Ray's own lookup, RAY_ADDRESS first) unless its recorded address is dead (a crash without
    `ray stop`), where ray.init would wait for it for minutes: then "local", a new instance."""
    current = Path(os.environ.get("RAY_TMPDIR") or tempfile.gettempdir()) / "ray" / "ray_current_cluster"
    if address != LOCAL or os.environ.get("RAY_ADDRESS") or not current.exists():
        return None if address == LOCAL else address
    try:
        host, _, port = current.read_text(encoding="utf-8").strip().rpartition(":")
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError):
        return "local"
    return None


@dataclass
class _Flight:
    """A submitted condition, as far as the driver knows."""

    condition: str
    position: int
    step: int = 0
    total: int = 1
    where: str = ""
    started: float = field(default_factory=time.monotonic)


class RayConditions:
    """The `conditions` runner of `runner.execute` for RayBackend's worker: connects to Ray at
    `address`, runs the run's unfinished conditions there stage by stage (`stages`), saves each as
    it finishes and disconnects. Raises RunCancelled on a cancel request or SIGTERM, ExperimentError
    when a condition failed (after the others in flight finished and were saved)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.shared: dict[str, tuple[tuple[int, int], Any]] = {}
        """path under the runs folder -> (size and mtime it had, its object ref)"""
        self.stop = threading.Event()

    def __call__(self, store: Store, spec: ExperimentSpec, row: dict[str, Any]) -> None:
        import ray

        _check_reachable(self.address)
        previous = signal.getsignal(signal.SIGTERM)
        try:
            try:
                ray.init(address=_init_address(self.address), include_dashboard=False,
                         runtime_env={"env_vars": {name: str(THREADS) for name in THREAD_VARIABLES}})
            except ConnectionError as error:
                raise ExperimentError(f"{error}. A cluster started with `ray start` checks a token: on this machine "
                                      "set RAY_AUTH_MODE=token with the head's token in ~/.ray/auth_token (`ray "
                                      "get-auth-token` on the head), or join it (`ray start --address ...`) and use "
                                      "--address auto") from error
            signal.signal(signal.SIGTERM, lambda signum, frame: self.stop.set())  # ray.init set its own
            self._run(ray, store, spec, row)
        finally:
            ray.shutdown()
            signal.signal(signal.SIGTERM, previous)

    def _run(self, ray: Any, store: Store, spec: ExperimentSpec, row: dict[str, Any]) -> None:
        run_id, finished = row["id"], set(store.finished_conditions(row["id"]))
        nodes = [node for node in ray.nodes() if node["Alive"]]
        cluster = ray.cluster_resources()
        resources = task_resources(spec, row["parameters"], cluster.get("GPU", 0.0))
        largest = max((node["Resources"].get("CPU", 0.0) for node in nodes), default=0.0)
        if resources["num_cpus"] > largest:
            raise ExperimentError(f"a condition needs {resources['num_cpus']:g} CPUs (threads) and the largest "
                                  f"Ray node has {largest:g}: lower --param threads")
        store.update_run(run_id, environment={**row["environment"], "backend": "ray", "ray": {
            "version": ray.__version__, "address": self.address, "nodes": len(nodes),
            "cpus": cluster.get("CPU", 0.0), "gpus": cluster.get("GPU", 0.0), **resources}})
        store.add_run_log(run_id, f"Ray {ray.__version__} at {self.address}: {len(nodes)} node(s), "
                                  f"{cluster.get('CPU', 0):g} CPUs; each condition a task with "
                                  f"{resources['num_cpus']:g} CPU(s), {resources['num_gpus']:g} GPU(s)")
        task = ray.remote(num_returns="streaming", max_retries=0, **resources)(condition_task)
        request = {"experiment": spec.name, "design": spec.design_fingerprint(), "run_id": run_id,
                   "parameters": row["parameters"], "seeds": list(row["seeds"])}
        runs = run_folder(store.path, run_id).parent
        for stage in stages(spec):
            todo = [c for c in stage if c not in finished]
            if not todo:
                continue
            inputs = self._share(ray, runs, run_id)
            flights = {task.options(name=f"notesgraph run {run_id} {c}").remote({**request, "condition": c}, inputs):
                       _Flight(c, spec.conditions.index(c)) for c in todo}
            failed = self._follow(ray, store, run_id, len(spec.conditions), flights, finished)
            if failed:
                raise ExperimentError(f"condition(s) failed on Ray: {'; '.join(failed)} (finished conditions are "
                                      f"kept: notesgraph runs resume {run_id})")
        store.set_run_progress(run_id, len(spec.conditions) * 1000, len(spec.conditions) * 1000,
                               "all conditions finished")

    def _share(self, ray: Any, runs: Path, run_id: int) -> dict[str, Any]:
        """Object refs of the files a task starts with (the run folder's, but for the driver's own,
        and the shared cache), each put into the object store once while it is unchanged."""
        refs = {}
        for name, path in _start_files(runs, run_id).items():
            stamp = (path.stat().st_size, path.stat().st_mtime_ns)
            if name not in self.shared or self.shared[name][0] != stamp:
                self.shared[name] = (stamp, ray.put(path.read_bytes()))
            refs[name] = self.shared[name][1]
        return refs

    def _follow(self, ray: Any, store: Store, run_id: int, count: int, flights: dict[Any, _Flight],
                finished: set[str]) -> list[str]:
        """Take the tasks' messages until every flight ended: save finished conditions, write
        progress (and see a cancel request) every 0.2 s. Returns "condition: why" per failure."""
        failed: list[str] = []
        message, written = "", 0.0
        while flights:
            ready, _ = ray.wait(list(flights), num_returns=len(flights), timeout=_PROGRESS_EVERY, fetch_local=True)
            for generator in ready:  # every message it has ready, so progress never lags
                while generator in flights:
                    message = self._take(ray, store, run_id, generator, flights, finished, failed) or message
                    if generator not in flights or not ray.wait([generator], timeout=0)[0]:
                        break
            now = time.monotonic()
            if now - written >= _PROGRESS_EVERY or not flights:
                written = now
                done = 1000 * len(finished) + sum(1000 * f.step // max(f.total, 1) for f in flights.values())
                if store.set_run_progress(run_id, done, count * 1000, message) or self.stop.is_set():
                    self.stop.set()
                    self._cancel(ray, store, run_id, flights, finished)
                    raise RunCancelled()
        return failed

    def _take(self, ray: Any, store: Store, run_id: int, generator: Any, flights: dict[Any, _Flight],
              finished: set[str], failed: list[str]) -> str:
        """Handle one message of a ready task; returns its progress message, if it was one."""
        flight = flights[generator]
        try:
            message = ray.get(next(generator))
        except StopIteration:  # ended without its result (cancelled before it started)
            del flights[generator]
            return ""
        except Exception as error:  # noqa: BLE001 - Ray's report of the task: worker died, node lost, a bug
            del flights[generator]
            why = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            failed.append(f"{flight.condition}: {why}")
            happened = "stopped (cancelled)" if self.stop.is_set() else f"failed on Ray{flight.where}: {error}"
            store.add_run_log(run_id, f"condition {flight.condition} {happened}")
            return ""
        if message[0] == "started":
            node = f", node {message[3]}" if len(message) > 3 else ""
            flight.where, flight.started = f" ({message[1]}{node}, worker pid {message[2]})", time.monotonic()
            store.add_run_log(run_id, f"condition {flight.condition} started on Ray{flight.where}")
            return ""
        if message[0] == "progress":
            flight.step, flight.total = message[1], message[2]
            return message[3]
        rows, files = message[1], message[2]
        self._receive(run_folder(store.path, run_id).parent, files)
        store.save_run_condition(run_id, flight.condition, flight.position, rows)
        finished.add(flight.condition)
        del flights[generator]
        cached = sorted(name.split("/", 1)[1] for name in files if name.startswith("cache/"))
        store.add_run_log(run_id, f"condition {flight.condition} finished on Ray{flight.where} in "
                                  f"{time.monotonic() - flight.started:.1f} s: {len(rows)} results, "
                                  f"{len(files)} file(s) back" + (f", built {', '.join(cached)}" if cached else ""))
        return f"{flight.condition}: done"

    @staticmethod
    def _receive(runs: Path, files: Mapping[str, bytes]) -> None:
        """Write the files a task returned under the runs folder (each replaced whole)."""
        for name, data in files.items():
            path = (runs / name).resolve()
            if runs.resolve() not in path.parents:
                raise ExperimentError(f"a task returned a file outside the runs folder: {name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.with_name(path.name + ".part").write_bytes(data)
            path.with_name(path.name + ".part").replace(path)

    def _cancel(self, ray: Any, store: Store, run_id: int, flights: dict[Any, _Flight], finished: set[str]) -> None:
        """ray.cancel every task in flight; a condition that finishes meanwhile is still saved.
        Tasks still running after _CANCEL_GRACE s are killed (force)."""
        for generator in flights:
            ray.cancel(generator)
        deadline, failed = time.monotonic() + _CANCEL_GRACE, []
        while flights and time.monotonic() < deadline:
            ready, _ = ray.wait(list(flights), num_returns=len(flights), timeout=_PROGRESS_EVERY)
            for generator in ready:
                self._take(ray, store, run_id, generator, flights, finished, failed)
        for generator in flights:
            ray.cancel(generator, force=True)
