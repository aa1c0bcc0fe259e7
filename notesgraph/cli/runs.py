"""The `experiments`, `run` and `runs` commands: thin adapters over notesgraph.experiments.

Kept apart from cli.py so that module stays one screenful per topic; cli.py lists these in its
COMMANDS table. Imports only the experiment registry and runner (no numpy, no torch): the
experiment itself is imported by the worker process.
"""

from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace
from typing import Any

from notesgraph.cli_output import EXIT_FAILED, EXIT_OK, EXIT_SKIPPED, ProgressBar, print_json, user_errors
from notesgraph.experiments.spec import Parameter
from notesgraph.store import Store

_EXIT_BY_STATUS = {"done": EXIT_OK, "cancelled": EXIT_SKIPPED, "interrupted": EXIT_SKIPPED, "failed": EXIT_FAILED,
                   "queued": EXIT_OK, "running": EXIT_OK}


_experiment_errors = user_errors({"notesgraph.experiments.spec:ExperimentError": EXIT_FAILED})
"""An unknown experiment, parameter, claim or run: one line on stderr and exit 2."""


# -- experiments --------------------------------------------------------------------------------

def _describe(parameter: Parameter) -> str:
    """name=default with its range (numbers) or choices (strings), and its quick value."""
    if parameter.is_text:
        allowed = f"one of {'|'.join(parameter.choices)}" if parameter.choices else "text"
    else:
        allowed = f"{parameter.low}..{parameter.high}"
    quick = f"; quick {parameter.quick}" if parameter.quick is not None else ""
    return f"{parameter.name}={parameter.default!s} ({allowed}{quick})"


def _spec_json(spec: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(spec)


@_experiment_errors
def cmd_experiments(args: argparse.Namespace, store: None) -> int:
    """List the registered experiments with the claims each tests."""
    from notesgraph.experiments.registry import experiments

    specs = experiments()
    if args.json:
        print_json([_spec_json(spec) for spec in specs])
        return EXIT_OK
    for spec in specs:
        print(f"{spec.name}  v{spec.version}  ~{spec.estimate_seconds:g} s (--quick ~{spec.quick_seconds:g} s)")
        print(f"    {spec.title}")
        print(f"    conditions: {', '.join(spec.conditions)} · seeds: {', '.join(map(str, spec.seeds))}")
        print("    parameters: " + ", ".join(_describe(p) for p in spec.parameters))
        for test in spec.claims:
            print(f"    tests: {test.claimed:g} {test.metric} in {test.condition} — {test.description}")
    return EXIT_OK


def _experiments_arguments(parser: argparse.ArgumentParser) -> None:
    pass


# -- run ----------------------------------------------------------------------------------------

def _follow(store: Store, run_id: int, quiet: bool) -> dict[str, Any]:
    """Show a run's progress until it finishes; Ctrl-C cancels it (finished conditions are kept)."""
    from notesgraph.experiments.runner import cancel_run, wait_for

    bar = None if quiet else ProgressBar(sys.stderr, f"run {run_id}")
    show = (lambda row: bar(SimpleNamespace(done=row["progress_done"], total=max(row["progress_total"], 1)))
            if bar and row["progress_total"] else None)
    try:
        return wait_for(store, run_id, on_progress=show)
    except KeyboardInterrupt:
        print(f"\ncancelling run {run_id} …", file=sys.stderr)
        cancel_run(store, run_id)
        return wait_for(store, run_id, timeout=30)


def _run_json(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    run_id = row["id"]
    return {**row, "finished_conditions": store.finished_conditions(run_id),
            "results": [dict(zip(("condition", "metric", "value", "ci_low", "ci_high", "n"), r))
                        for r in store.run_results(run_id)],
            "verdicts": [dict(zip(("claim", "condition", "verdict", "reason", "primary"), v))
                         for v in store.run_verdicts(run_id)],
            "claims": [dict(zip(("claim_key", "test", "note_hash"), c)) for c in store.run_claims(run_id)],
            "log": [{"at": at, "message": message} for at, message in store.run_log(run_id)]}


def _print_run(store: Store, row: dict[str, Any], log: bool = False) -> None:
    run_id = row["id"]
    print(f"run {run_id}: {row['experiment']} v{row['version']} · {row['status']}"
          + (" · quick" if row["quick"] else "") + (f" · {row['error']}" if row["error"] else ""))
    params = ", ".join(f"{k}={v}" for k, v in row["parameters"].items())
    print(f"  parameters: {params} · seeds: {', '.join(map(str, row['seeds']))}")
    env = row["environment"]
    if env:
        print(f"  code {env.get('code_version')} · Python {env.get('python')} · numpy {env.get('numpy')}"
              f" · torch {env.get('torch') or '-'} · {env.get('threads')} thread(s)")
    print(f"  created {row['created_at']} · started {row['started_at'] or '-'} · finished {row['finished_at'] or '-'}")
    print(f"  folder {row['folder']}")
    results = store.run_results(run_id)
    if results:
        print(f"\n  {'condition':<14} {'metric':<22} {'value':>7} {'95% interval':>17} {'n':>6}")
        for condition, metric, value, low, high, n in results:
            print(f"  {condition:<14} {metric:<22} {value:7.2f}   [{low:6.2f}, {high:6.2f}] {n:>6}")
    verdicts = store.run_verdicts(run_id)
    if verdicts:
        print("\n  Verdicts (* decides the claim's status)")
        for claim, condition, verdict, reason, primary in verdicts:
            print(f"  {'*' if primary else ' '} {claim} · {condition}: {verdict} — {reason}")
    claims = store.run_claims(run_id)
    if claims:
        print(f"\n  tests {len(claims)} stored claim(s): see `notesgraph claims` for their status")
    if log:
        print("\n  Log")
        for at, message in store.run_log(run_id):
            print(f"  {at}  {message}")


def _launch_and_follow(args: argparse.Namespace, store: Store, run_id: int) -> int:
    from notesgraph.experiments.runner import LocalBackend

    LocalBackend(args.parallel).submit(store.path, run_id)
    if args.detach:
        if args.json:
            print_json(_run_json(store, store.run_row(run_id)))
        else:
            print(f"run {run_id} queued (watch it: notesgraph runs show {run_id})")
        return EXIT_OK
    row = _follow(store, run_id, args.json)
    if args.json:
        print_json(_run_json(store, row))
    else:
        _print_run(store, row)
        if row["status"] in ("cancelled", "interrupted"):
            print(f"\nresume it: notesgraph runs resume {run_id}")
    return _EXIT_BY_STATUS[row["status"]]


@_experiment_errors
def cmd_run(args: argparse.Namespace, store: Store) -> int:
    """Queue a run, start it in its own process, show progress, then results and verdicts."""
    from notesgraph.experiments.registry import experiments_for_claim
    from notesgraph.experiments.runner import create_run, mark_interrupted
    from notesgraph.experiments.spec import ExperimentError, parse_assignments

    mark_interrupted(store)
    name = args.name
    if name is None:
        if args.for_claim is None:
            raise ExperimentError("name an experiment (see `notesgraph experiments`) or give --for-claim CLAIM_ID")
        rows = [r for r in store.claim_rows([store.claim_note_id(args.for_claim) or -1]) if r["id"] == args.for_claim]
        if not rows:
            raise ExperimentError(f"there is no claim:{args.for_claim} (see `notesgraph claims`)")
        tests = experiments_for_claim(rows[0]["text"])
        if not tests:
            raise ExperimentError(f"no experiment tests claim:{args.for_claim} yet (see `notesgraph experiments`)")
        name = tests[0][0].name
    run_id = create_run(store, name, parse_assignments(args.param or []), args.seed, args.quick, args.for_claim)
    return _launch_and_follow(args, store, run_id)


def _launch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="let this run start while up to N-1 others run (default 1: one after another)")
    parser.add_argument("--detach", action="store_true", help="start it and return; watch with `runs show ID`")


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="experiment name (see `notesgraph experiments`)")
    parser.add_argument("--param", action="append", metavar="NAME=VALUE", help="set a parameter; repeatable")
    parser.add_argument("--seed", action="append", type=int, metavar="N",
                        help="seed to run (repeat for several; default: the experiment's seeds)")
    parser.add_argument("--quick", action="store_true", help="the reduced setting: same code, fewer tasks")
    parser.add_argument("--for-claim", type=int, metavar="CLAIM_ID",
                        help="the claim (claim:ID's number) the run tests; picks the experiment when no NAME")
    _launch_options(parser)


# -- runs ---------------------------------------------------------------------------------------

@_experiment_errors
def cmd_runs(args: argparse.Namespace, store: Store) -> int:
    """`runs` (history), `runs show ID`, `runs cancel ID`, `runs resume ID`."""
    from notesgraph.experiments.runner import cancel_run, mark_interrupted, resume_run, wait_for
    from notesgraph.experiments.spec import ExperimentError

    mark_interrupted(store)
    if args.action != "list" and args.id is None:
        raise ExperimentError(f"`notesgraph runs {args.action}` needs a run ID (see `notesgraph runs`)")
    if args.action == "list":
        rows = store.run_rows()
        if args.json:
            print_json(rows)
        elif not rows:
            print("no runs yet (start one: notesgraph run random_baseline --quick)", file=sys.stderr)
        for row in [] if args.json else rows:
            primary = [v[2] for v in store.run_verdicts(row["id"]) if v[4]]
            share = 100 * row["progress_done"] // max(row["progress_total"], 1)
            print(f"{row['id']:>4}  {row['experiment']:<18} {row['status']:<11} {share:>3}%  "
                  f"{row['created_at']}  {', '.join(primary) or '-'}")
        return EXIT_OK
    if args.action == "show":
        row = store.run_row(args.id)
        if row is None:
            raise ExperimentError(f"there is no run {args.id} (see `notesgraph runs`)")
        if args.json:
            print_json(_run_json(store, row))
        else:
            _print_run(store, row, log=True)
        return EXIT_OK
    if args.action == "cancel":
        cancel_run(store, args.id)
        row = wait_for(store, args.id, timeout=30)
        if args.json:
            print_json(_run_json(store, row))
        else:
            kept = len(store.finished_conditions(args.id))
            print(f"run {args.id} {row['status']}; kept {kept} finished condition(s)")
        return EXIT_OK
    resume_run(store, args.id)
    return _launch_and_follow(args, store, args.id)


def _runs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="list", choices=("list", "show", "cancel", "resume"),
                        help="list (default), show ID, cancel ID, resume ID")
    parser.add_argument("id", nargs="?", type=int, help="the run's number")
    _launch_options(parser)


RUN_COMMANDS = {
    "experiments": ("the experiments that can be run, with their conditions, parameters and the claims they test",
                    cmd_experiments, _experiments_arguments),
    "run": ("run an experiment in its own process (--quick: reduced setting) and show results and verdicts",
            cmd_run, _run_arguments),
    "runs": ("the history of runs; `runs show|cancel|resume ID` to inspect, stop or continue one",
             cmd_runs, _runs_arguments),
}
"""Merged into notesgraph.cli.COMMANDS."""
