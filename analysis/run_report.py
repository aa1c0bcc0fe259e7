"""Redraw a recorded run's report.md and results.png from its stored result rows with the
current code (a report's layout changed after the run; the numbers are the run's own).

    python analysis/run_report.py DB RUN_ID OUT_FOLDER

Reads the run's rows and parameters from the database; the run folder is passed to report()
and plot() as `workdir` when they take one (replication 2 rebuilds its verdicts from the
records saved there). Seconds; imports what the experiment's module imports.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path

from notesgraph.experiments.registry import experiment, implementation
from notesgraph.experiments.runner import run_results
from notesgraph.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("run_id", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    store = Store(args.db)
    row = store.run_row(args.run_id)
    if row is None:
        raise SystemExit(f"{args.db} has no run {args.run_id}")
    spec = experiment(row["experiment"])
    module = implementation(spec)
    results = run_results(store, args.run_id)
    offered = {"workdir": Path(row["folder"]), "parameters": row["parameters"]}
    args.out.mkdir(parents=True, exist_ok=True)
    for name, target in (("report", args.out / "report.md"), ("plot", args.out / "results.png")):
        function = getattr(module, name, None)
        if function is None:
            continue
        extra = {k: v for k, v in offered.items() if k in inspect.signature(function).parameters}
        if name == "report":
            target.write_text(function(spec, results, **extra), encoding="utf-8")
        else:
            function(spec, results, str(target), **extra)
        print(target)


if __name__ == "__main__":
    main()
