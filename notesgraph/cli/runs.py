"""The `experiments`, `run` and `runs` commands: thin adapters over notesgraph.experiments.

Runs are owned by notesgraph.experiments.runner: these commands call its functions and print
the `Run` and `RunDetails` they get back. Imports only the experiment registry and runner (no
numpy, no torch), inside the handlers: the experiment itself is imported by the worker process.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from notesgraph.cli.output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SKIPPED,
    Command,
    CommandTable,
    ProgressBar,
    no_arguments,
    print_json,
    user_errors,
)
from notesgraph.kinds import elide
from notesgraph.experiments.spec import ExperimentError, Parameter
from notesgraph.model import Run, RunDetails
from notesgraph.store import Store

if TYPE_CHECKING:
    from notesgraph.experiments.runner import Backend

_EXIT_BY_STATUS = {"done": EXIT_OK, "cancelled": EXIT_SKIPPED, "interrupted": EXIT_SKIPPED, "failed": EXIT_FAILED,
                   "queued": EXIT_OK, "running": EXIT_OK}


_experiment_errors = user_errors({"notesgraph.experiments.spec:ExperimentError": EXIT_FAILED})
"""An unknown experiment, parameter, claim or run: one line on stderr and exit 2."""


# -- experiments --------------------------------------------------------------------------------

def _describe(parameter: Parameter) -> str:
    """name=default with its range (numbers) or choices (strings), and its quick value."""
    if parameter.listed:
        allowed = f"comma-separated, each {parameter.low}..{parameter.high}"
    elif parameter.is_text:
        allowed = f"one of {'|'.join(parameter.choices)}" if parameter.choices else "text"
    else:
        allowed = f"{parameter.low}..{parameter.high}"
    quick = f"; quick {parameter.quick}" if parameter.quick is not None else ""
    return f"{parameter.name}={parameter.default!s} ({allowed}{quick})"


@_experiment_errors
def cmd_experiments(args: argparse.Namespace, store: None) -> int:
    """List the registered experiments with the claims each tests."""
    from notesgraph.experiments.registry import experiments

    specs = experiments()
    if args.json:
        print_json([asdict(spec) for spec in specs])
        return EXIT_OK
    for spec in specs:
        print(f"{spec.name}  v{spec.version}  ~{spec.estimate_seconds:g} s (--quick ~{spec.quick_seconds:g} s)")
        print(f"    {spec.title}")
        print(f"    conditions: {', '.join(spec.conditions)} · seeds: {', '.join(map(str, spec.seeds))}")
        print("    parameters: " + ", ".join(_describe(p) for p in spec.parameters))
        for test in spec.claims:
            print(f"    tests: {test.claimed:g} {test.metric} in {test.condition} — {test.description}")
    return EXIT_OK


# -- showing a run ------------------------------------------------------------------------------

def _run_json(details: RunDetails) -> dict[str, Any]:
    return {**asdict(details.run), "finished_conditions": list(details.finished_conditions),
            "results": [dict(zip(("condition", "metric", "value", "ci_low", "ci_high", "n"), r))
                        for r in details.results],
            "verdicts": [dict(zip(("claim", "condition", "verdict", "reason", "primary"), v))
                         for v in details.verdicts],
            "claims": [dict(zip(("claim_key", "test", "note_hash"), c)) for c in details.claims],
            "log": [{"at": at, "message": message} for at, message in details.log]}


def _print_run(details: RunDetails, log: bool = False, every_verdict: bool = False) -> None:
    run = details.run
    print(f"run {run.id}: {run.experiment} v{run.version} · {'quick' if run.quick else 'full'} · {run.status}"
          + f" · {_duration(run)}" + (f" · {run.error}" if run.error else ""))
    params = ", ".join(f"{k}={v}" for k, v in run.parameters.items())
    print(f"  parameters: {params} · seeds: {', '.join(map(str, run.seeds))}")
    env = run.environment
    if env:
        print(f"  code {env.get('code_version')} · Python {env.get('python')} · numpy {env.get('numpy')}"
              f" · torch {env.get('torch') or '-'} · {env.get('threads')} thread(s)")
    if env.get("backend") == "ray":
        ray = env.get("ray", {})
        print(f"  on Ray {ray.get('version')} at {ray.get('address')}: {ray.get('nodes')} node(s), "
              f"{ray.get('cpus', 0):g} CPUs, {ray.get('gpus', 0):g} GPUs")
    print(f"  created {run.created_at} · started {run.started_at or '-'} · finished {run.finished_at or '-'}")
    print(f"  folder {run.folder}")
    _print_results(details)
    _print_verdicts(details, every_verdict)
    if log:
        print("\n  Log")
        for at, message in details.log:
            print(f"  {at}  {message}")


def _duration(run: Run) -> str:
    """How long a run ran ('4 min 12 s'), or '-' before it started."""
    from datetime import datetime, timezone

    if not run.started_at:
        return "not started"
    end = datetime.fromisoformat(run.finished_at) if run.finished_at else datetime.now(timezone.utc)
    seconds = max(0, int((end - datetime.fromisoformat(run.started_at)).total_seconds()))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _print_results(details: RunDetails) -> None:
    """The results table, its columns as wide as their longest entry (metric names up to 48)."""
    if not details.results:
        return
    cond = max(9, *(len(r[0]) for r in details.results))
    metric = min(48, max(6, *(len(r[1]) for r in details.results)))
    print(f"\n  {'condition':<{cond}} {'metric':<{metric}} {'value':>8} {'95% interval':>18} {'n':>6}")
    for condition, name, value, low, high, n in details.results:
        print(f"  {condition:<{cond}} {elide(name, metric):<{metric}} {value:8.2f}   [{low:6.2f}, {high:6.2f}] {n:>6}")


def _print_verdicts(details: RunDetails, every_verdict: bool = False) -> None:
    """One verdict per claim test (the primary one), a failed gate stated once, and how many
    other conditions' verdicts there are (all of them with `every_verdict`)."""
    from notesgraph.run_page import summarise_verdicts

    if details.verdicts:
        summary = summarise_verdicts(details.verdicts)
        print("\n  Verdicts (one per claim test: the one that decides the claim's status)")
        if summary.gate:
            print(f"  ! every verdict: {summary.gate}")
        for claim, condition, verdict, reason in summary.primary + (summary.others if every_verdict else ()):
            print(f"  {claim} · {condition}: {verdict}" + (f" — {reason}" if reason else ""))
        if summary.others and not every_verdict:
            print(f"  (+{len(summary.others)} verdicts of other conditions: add --verbose)")
    if details.claims:
        print(f"\n  tests {len(details.claims)} stored claim(s): see `notesgraph claims` for their status")


def _print_summary(details: RunDetails) -> None:
    """What `run` prints when a run ends: its line, its verdicts and where the rest is."""
    run = details.run
    print(f"run {run.id}: {run.experiment} · {'quick' if run.quick else 'full'} · {run.status} · {_duration(run)}"
          + (f" · {run.error}" if run.error else ""))
    _print_verdicts(details)
    print(f"\n  {len(details.results)} result rows in {run.folder} (results.csv, results.png);"
          f" all of it: notesgraph runs show {run.id}")


# -- run ----------------------------------------------------------------------------------------

def _follow(store: Store, run_id: int, quiet: bool) -> None:
    """Show a run's progress until it finishes; Ctrl-C cancels it (finished conditions are kept)."""
    from notesgraph.experiments.runner import cancel_run, follow_run

    bar = None if quiet else ProgressBar(sys.stderr, f"run {run_id}")
    show = (lambda run: bar(SimpleNamespace(done=run.progress_done, total=max(run.progress_total, 1)))
            if bar and run.progress_total else None)
    try:
        follow_run(store, run_id, on_progress=show)
    except KeyboardInterrupt:
        print(f"\ncancelling run {run_id} …", file=sys.stderr)
        cancel_run(store, run_id)
        follow_run(store, run_id, timeout=30)


def _show_started(args: argparse.Namespace, store: Store, run: Run) -> int:
    """After a run started (or resumed): with --detach say so, else follow it to its end and
    show its results and verdicts. The exit code follows its status."""
    from notesgraph.experiments.runner import run_details

    if args.detach:
        if args.json:
            print_json(_run_json(run_details(store, run.id)))
        else:
            print(f"run {run.id} queued (watch it: notesgraph runs show {run.id})")
        return EXIT_OK
    _follow(store, run.id, args.json)
    details = run_details(store, run.id)
    if args.json:
        print_json(_run_json(details))
    else:
        _print_run(details, every_verdict=True) if getattr(args, "verbose", False) else _print_summary(details)
        if details.run.status in ("cancelled", "interrupted"):
            print(f"\nresume it: notesgraph runs resume {run.id}")
    return _EXIT_BY_STATUS[details.run.status]


@_experiment_errors
def cmd_run(args: argparse.Namespace, store: Store) -> int:
    """Queue a run, start it in its own process, show progress, then results and verdicts."""
    from notesgraph.experiments.runner import start_run
    from notesgraph.experiments.spec import parse_assignments

    if args.name is None and args.for_claim is None:
        raise ExperimentError("name an experiment (see `notesgraph experiments`) or give --for-claim CLAIM_ID")
    run = start_run(store, args.name, args.for_claim, parse_assignments(args.param or []), args.seed, args.quick,
                    _backend(args))
    return _show_started(args, store, run)


def _backend(args: argparse.Namespace, used: Run | None = None) -> Backend:
    """The backend asked for (--backend, --address), else the one the resumed run `used`, else local."""
    from notesgraph.experiments.runner import make_backend

    before = used.environment if used is not None else {}
    name = args.backend or ("ray" if args.address else before.get("backend", "local"))
    address = args.address or (before.get("ray", {}).get("address") if name == "ray" else None)
    return make_backend(name, address, args.parallel)


def _launch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parallel", type=int, default=1, metavar="N",
                        help="let this run start while up to N-1 others run (default 1: one after another)")
    parser.add_argument("--backend", choices=("local", "ray"),
                        help="where the conditions run: local (this machine, the default) or ray (a task per "
                             "condition; `runs resume` keeps the run's own)")
    parser.add_argument("--address", metavar="ADDR", help="ray: HOST:PORT of the cluster's head, or auto "
                        "(the cluster this machine joined); default: start or join a Ray instance here")
    parser.add_argument("--detach", action="store_true", help="start it and return; watch with `runs show ID`")
    parser.add_argument("--verbose", action="store_true",
                        help="print the whole run: results table and the verdict of every condition")


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

def cmd_runs_list(args: argparse.Namespace, store: Store) -> int:
    """`runs`: the history, newest first, with each run's progress and primary verdicts."""
    from notesgraph.experiments.runner import list_runs, run_details

    runs = list_runs(store)
    if args.json:
        print_json([asdict(run) for run in runs])
    elif not runs:
        print("no runs yet (start one: notesgraph run random_baseline --quick)", file=sys.stderr)
    else:
        print(f"{'run':>4}  {'experiment':<18} {'mode':<5} {'status':<11} {'done':>4}  {'took':<12} "
              f"{'created':<16}  verdict per claim test")
    for run in [] if args.json else runs:
        print(_run_line(run, run_details(store, run.id)))
    return EXIT_OK


def _run_line(run: Run, details: RunDetails) -> str:
    """One run in the history: mode, status, progress, duration and each claim test's verdict."""
    from notesgraph.run_page import summarise_verdicts

    tested = "; ".join(f"{claim}: {verdict}" for claim, _, verdict, _ in summarise_verdicts(details.verdicts).primary)
    share = 100 * run.progress_done // max(run.progress_total, 1)
    return (f"{run.id:>4}  {run.experiment:<18} {'quick' if run.quick else 'full':<5} {run.status:<11} {share:>3}%  "
            f"{_duration(run):<12} {run.created_at[:16].replace('T', ' '):<16}  {tested or '-'}")


def cmd_runs_show(args: argparse.Namespace, store: Store) -> int:
    """`runs show ID`: a run with its parameters, environment, results, verdicts and log."""
    from notesgraph.experiments.runner import run_details

    details = run_details(store, args.id)
    if args.json:
        print_json(_run_json(details))
    else:
        _print_run(details, log=True, every_verdict=args.verbose)
    return EXIT_OK


def cmd_runs_cancel(args: argparse.Namespace, store: Store) -> int:
    """`runs cancel ID`: stop a run (up to 30 s); its finished conditions are kept."""
    from notesgraph.experiments.runner import cancel_run, run_details

    cancel_run(store, args.id, wait=30)
    details = run_details(store, args.id)
    if args.json:
        print_json(_run_json(details))
    else:
        print(f"run {args.id} {details.run.status}; kept {len(details.finished_conditions)} finished condition(s)")
    return EXIT_OK


def cmd_runs_resume(args: argparse.Namespace, store: Store) -> int:
    """`runs resume ID`: continue a failed, cancelled or interrupted run where it stopped."""
    from notesgraph.experiments.runner import resume_run, run_details

    return _show_started(args, store, resume_run(store, args.id, _backend(args, run_details(store, args.id).run)))


_RUNS_ACTIONS: dict[str, Command] = {"list": cmd_runs_list, "show": cmd_runs_show, "cancel": cmd_runs_cancel,
                                     "resume": cmd_runs_resume}


@_experiment_errors
def cmd_runs(args: argparse.Namespace, store: Store) -> int:
    """`runs` (history), `runs show ID`, `runs cancel ID`, `runs resume ID`: one command each."""
    if args.action != "list" and args.id is None:
        raise ExperimentError(f"`notesgraph runs {args.action}` needs a run ID (see `notesgraph runs`)")
    return _RUNS_ACTIONS[args.action](args, store)


def _runs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="list", choices=tuple(_RUNS_ACTIONS),
                        help="list (default), show ID, cancel ID, resume ID")
    parser.add_argument("id", nargs="?", type=int, help="the run's number")
    _launch_options(parser)


RUN_COMMANDS: CommandTable = {
    "experiments": ("the experiments that can be run, with their conditions, parameters and the claims they test",
                    cmd_experiments, no_arguments),
    "run": ("run an experiment in its own process (or on Ray) and show its results and verdicts",
            cmd_run, _run_arguments),
    "runs": ("the history of runs; `runs show|cancel|resume ID` to inspect, stop or continue one",
             cmd_runs, _runs_arguments),
}
"""Merged into notesgraph.cli.COMMANDS."""
