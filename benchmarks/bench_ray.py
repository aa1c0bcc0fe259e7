"""Benchmark: runs through Ray (ray_backend.RayBackend) against the local backend, back to back.

Each measurement is a whole run as `notesgraph run` makes it, from submit to its end (the worker
process, Ray's tasks and workers, results, verdicts, plot and report), on a fresh database (so no
cached base model carries over), the two backends alternating, the same parameters and seeds; the
numbers of both must be equal (checked). Ray is a local instance with 2 CPUs started once here,
as a cluster's head would be (its start-up is timed on its own); `--fresh-ray` adds runs on the
default `--backend ray`, whose worker starts (and stops) a Ray instance of its own each time. The
1-minute load average is recorded before and after each run: the machine may be shared.

    python benchmarks/bench_ray.py [--repeat 3] [--skip-quick] [--fresh-ray] [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from notesgraph.experiments.ray_backend import RayBackend  # noqa: E402
from notesgraph.experiments.runner import Backend, LocalBackend, create_run, wait_for  # noqa: E402
from notesgraph.store import Store  # noqa: E402

WORKLOADS = {
    "instruction_tuning --quick": ("instruction_tuning", True),
    "random_baseline (full protocol)": ("random_baseline", False),
}


def timed_run(workdir: Path, backend: Backend, name: str, quick: bool) -> dict:
    """One run on `backend` in a fresh database: wall seconds, status, its numbers and the load."""
    db = Path(tempfile.mkdtemp(dir=workdir)) / "bench.db"
    load_before = os.getloadavg()[0]
    with Store(db) as store:
        run_id = create_run(store, name, quick=quick)
        started = time.perf_counter()
        backend.submit(db, run_id)
        row = wait_for(store, run_id, timeout=6 * 3600, poll=0.05)
        seconds = time.perf_counter() - started
        outcome = (store.run_results(run_id), store.run_verdicts(run_id))
    return {"seconds": round(seconds, 2), "status": row["status"], "error": row["error"],
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2), "outcome": outcome}


def measure(workdir: Path, label: str, backends: dict[str, Backend], repeat: int) -> dict:
    """`repeat` rounds of every backend in turn (local first); medians and the ratio to local."""
    name, quick = WORKLOADS[label]
    runs: dict[str, list[dict]] = {kind: [] for kind in backends}
    for round_ in range(repeat):
        for kind, backend in backends.items():
            run = timed_run(workdir, backend, name, quick)
            runs[kind].append(run)
            print(f"{label} · {kind} · round {round_ + 1}: {run['seconds']:.1f} s, {run['status']} "
                  f"(load {run['load_before']:.1f} -> {run['load_after']:.1f})", file=sys.stderr, flush=True)
    reference = runs["local"][0]["outcome"]
    same = all(run["outcome"] == reference and run["status"] == "done" for kind in runs for run in runs[kind])
    medians = {kind: statistics.median(run["seconds"] for run in runs[kind]) for kind in runs}
    for kind in runs:
        for run in runs[kind]:
            run.pop("outcome")
    return {"workload": label, "experiment": name, "quick": quick, "same_results_and_verdicts": same,
            "median_seconds": medians,
            "ratio_to_local": {kind: round(seconds / medians["local"], 2) for kind, seconds in medians.items()},
            "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the full random-baseline protocol")
    parser.add_argument("--quick-repeat", type=int, default=1, help="rounds of instruction_tuning --quick")
    parser.add_argument("--skip-quick", action="store_true", help="leave out instruction_tuning --quick")
    parser.add_argument("--fresh-ray", action="store_true",
                        help="also the default --backend ray (a Ray instance started per run)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()

    import ray

    previous = signal.getsignal(signal.SIGTERM)
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    signal.signal(signal.SIGTERM, previous)
    address = ray.get_runtime_context().gcs_address
    backends: dict[str, Backend] = {"local": LocalBackend(), "ray": RayBackend(address)}
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
            if not args.skip_quick:
                results.append(measure(Path(folder), "instruction_tuning --quick", backends, args.quick_repeat))
            full = {**backends, **({"ray, own instance per run": RayBackend()} if args.fresh_ray else {})}
            results.append(measure(Path(folder), "random_baseline (full protocol)", full, args.repeat))
    finally:
        ray.shutdown()
    report = {"benchmark": "ray_backend", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "ray": ray.__version__, "cpus": os.cpu_count(), "ray_cpus": 2,
              "ray_instance_start_seconds": round(ray_start, 2), "results": results}
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    else:
        for result in results:
            print(f"{result['workload']}: " + ", ".join(f"{k} {v:.1f} s ({result['ratio_to_local'][k]:.2f}x)"
                                                          for k, v in result["median_seconds"].items())
                  + f"; same results: {result['same_results_and_verdicts']}")
    return 0 if all(result["same_results_and_verdicts"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
