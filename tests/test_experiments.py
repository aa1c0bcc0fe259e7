"""The experiment runner: registry, the random-baseline experiment, runs in their own process
(done, cancelled, killed and resumed, repeated), verdicts linked to claims, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SEED, write
from notesgraph.claims import stored_claims
from notesgraph.cli import main
from notesgraph.experiments.registry import experiment, experiments, experiments_for_claim, implementation
from notesgraph.experiments.runner import (
    LocalBackend,
    cancel_run,
    create_run,
    follow_run,
    list_runs,
    mark_interrupted,
    redraw,
    resume_run,
    run_folder,
    start_run,
    wait_for,
)
from notesgraph.experiments.spec import ExperimentError, Progress, Result
from notesgraph.experiments.verdicts import interval_verdict
from notesgraph.indexer import index_folder
from notesgraph.store import Store

SLOW = {"tasks": "2000", "instances": "500", "bootstrap": "5000"}
"""About 1 s a condition on 2 cores: slow enough to cancel or kill a run between conditions."""
WAIT = 60.0
"""The most any test waits for a worker (a quick run takes about 0.5 s)."""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with the seed note indexed, so runs have a claim to link to."""
    path = tmp_path / "runs.db"
    folder = tmp_path / "notes"
    write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    with Store(path) as store:
        index_folder(store, folder)
    return path


def _launch(db: Path, run_id: int) -> subprocess.Popen[bytes]:
    return LocalBackend().submit(db, run_id)


# -- registry, spec, verdicts -------------------------------------------------------------------

def test_registry_lists_specs_and_suggests_the_nearest_name() -> None:
    names = [spec.name for spec in experiments()]
    assert "random_baseline" in names
    with pytest.raises(ExperimentError, match="did you mean random_baseline"):
        experiment("random_basline")
    spec = experiment("random_baseline")
    with pytest.raises(ExperimentError, match="did you mean tasks"):
        spec.resolve({"taks": 5})
    with pytest.raises(ExperimentError, match="outside"):
        spec.resolve({"tasks": 1})
    assert spec.resolve(quick=True)["tasks"] < spec.resolve()["tasks"]
    assert experiments_for_claim("A random baseline achieves 42.6% exact-match versus 43%.")
    assert not experiments_for_claim("Format outweighs domain by 7.5x.")


def test_listing_experiments_imports_nothing_heavy() -> None:
    probe = ("import sys, notesgraph.experiments.registry as r; r.experiments(); a = 'numpy' in sys.modules;"
             " import notesgraph.experiments.runner, notesgraph.cli; print(a, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]  # the store itself loads numpy (via sqlite-utils)


def test_verdicts_come_from_intervals() -> None:
    test = experiment("random_baseline").claims[0]
    inside = interval_verdict(test, Result("two_or_three", "m", 41.0, 39.0, 43.0, 60), 10)
    below = interval_verdict(test, Result("binary", "m", 50.0, 48.0, 52.0, 60), 10)
    wide = interval_verdict(test, Result("binary", "m", 45.0, 30.0, 60.0, 5), 10)
    edge = interval_verdict(test, Result("binary", "m", 40.0, 38.0, 42.55, 60), 10)  # 42.6 rounds from 42.55
    assert (inside.verdict, below.verdict, wide.verdict, edge.verdict) == (
        "consistent", "inconsistent", "inconclusive", "consistent")
    assert "below" in below.reason and "too wide" in wide.reason and "42.6" in inside.reason


def test_random_baseline_is_deterministic_and_matches_chance() -> None:
    spec = experiment("random_baseline")
    module = implementation(spec)
    parameters = spec.resolve({"tasks": 200, "instances": 100, "bootstrap": 1000})

    def results(condition: str) -> list[Result]:
        items = list(module.run_condition(condition, parameters, (0, 1)))
        assert any(isinstance(item, Progress) for item in items)
        return [item for item in items if isinstance(item, Result)]

    first = results("two_or_three")
    assert first == results("two_or_three")
    by_metric = {r.metric: r for r in first}
    expected = by_metric["expected_exact_match"].value
    assert expected == pytest.approx(100 * (1 / 2 + 1 / 3) / 2)
    em = by_metric["exact_match"]
    assert em.ci_low <= expected <= em.ci_high and em.n == 400
    assert by_metric["benchmark_exact_match"].n == 200
    assert results("binary")[0].value != first[0].value


# -- runs in their own process -----------------------------------------------------------------

def test_quick_run_in_a_subprocess_stores_results_artefacts_and_claim_verdicts(db: Path, tmp_path: Path) -> None:
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", quick=True)
        assert store.run_row(run_id)["status"] == "queued"
        worker = _launch(db, run_id)
        row = wait_for(store, run_id, timeout=WAIT)
        assert worker.wait(WAIT) == 0
        assert row["status"] == "done", row["error"]
        assert row["progress_done"] == row["progress_total"] > 0
        assert row["environment"]["threads"] == 1 and row["environment"]["python"]
        assert row["environment"]["code_version"] and row["parameters"]["tasks"] == 20
        assert row["environment"]["design"] == experiment("random_baseline").design_fingerprint()
        results = store.run_results(run_id)
        assert {r[0] for r in results} == set(experiment("random_baseline").conditions)
        assert all(low <= value <= high for _, _, value, low, high, _ in results)
        verdicts = store.run_verdicts(run_id)
        assert sum(primary for *_, primary in verdicts) == 1
        assert {v[2] for v in verdicts} <= {"consistent", "inconsistent", "inconclusive"}
        folder = run_folder(db, run_id)
        assert folder == Path(row["folder"]) and folder.parent.parent == db.parent
        assert (folder / "results.csv").read_text().count("\n") == len(results) + 1
        assert json.loads((folder / "run.json").read_text())["seeds"] == [0, 1, 2]
        assert (folder / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        redraw(store, run_id, tmp_path / "again")  # the same artefacts again, from the stored rows
        assert (tmp_path / "again" / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (folder / "report.md").exists() or \
            (tmp_path / "again" / "report.md").read_text() == (folder / "report.md").read_text()

        claim = next(c for c in stored_claims(store) if "42.6%" in c.claim.text)
        primary = next(v[2] for v in verdicts if v[4])
        assert claim.replications == ("random_baseline",) and claim.status == primary

        # A full run's verdict wins over any --quick run's, whichever finished last.
        full = create_run(store, "random_baseline", {"tasks": "60", "instances": "100", "bootstrap": "500"})
        worker = _launch(db, full)
        assert wait_for(store, full, timeout=WAIT)["status"] == "done"
        worker.wait(WAIT)
        later = create_run(store, "random_baseline", quick=True)
        worker = _launch(db, later)
        assert wait_for(store, later, timeout=WAIT)["status"] == "done"
        worker.wait(WAIT)
        full_primary = next(v[2] for v in store.run_verdicts(full) if v[4])
        claim = next(c for c in stored_claims(store) if "42.6%" in c.claim.text)
        assert claim.status == full_primary == "consistent"

    # The note changes (the claim's sentence does not): the verdict is now stale.
    seed = tmp_path / "notes" / "seed.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")
    with Store(db) as store:
        index_folder(store, seed.parent)
        claim = next(c for c in stored_claims(store) if "42.6%" in c.claim.text)
        assert claim.status == "stale"


def test_cancel_mid_way_keeps_finished_conditions(db: Path) -> None:
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", SLOW)
        worker = _launch(db, run_id)
        wait_for(store, run_id, timeout=WAIT, until=lambda row: bool(store.finished_conditions(run_id))
                 or row["status"] != "running" and row["status"] != "queued")
        cancel_run(store, run_id)
        row = wait_for(store, run_id, timeout=10)
        assert worker.wait(WAIT) == 0
        assert row["status"] == "cancelled"
        kept = store.finished_conditions(run_id)
        assert 1 <= len(kept) < 4
        assert {r[0] for r in store.run_results(run_id)} == set(kept)
        assert store.run_verdicts(run_id) == []
        assert any("cancelled; kept" in message for _, message in store.run_log(run_id))


def test_killed_run_is_interrupted_then_resumes_to_the_same_numbers_as_a_full_run(db: Path) -> None:
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", SLOW, seeds=[3, 4])
        worker = _launch(db, run_id)
        wait_for(store, run_id, timeout=WAIT, until=lambda row: row["progress_done"] > 0)
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(WAIT) == -signal.SIGKILL
        assert store.run_row(run_id)["status"] == "running"
        assert mark_interrupted(store) == [run_id]
        assert store.run_row(run_id)["status"] == "interrupted"
        kept = store.finished_conditions(run_id)

        resume_run(store, run_id)
        worker = _launch(db, run_id)
        row = wait_for(store, run_id, timeout=WAIT)
        assert worker.wait(WAIT) == 0 and row["status"] == "done"
        assert store.finished_conditions(run_id)[:len(kept)] == kept
        assert any(f"{len(kept)} finished condition(s) kept" in m for _, m in store.run_log(run_id))

        again = create_run(store, "random_baseline", SLOW, seeds=[3, 4])
        worker = _launch(db, again)
        assert wait_for(store, again, timeout=WAIT)["status"] == "done"
        worker.wait(WAIT)
        assert store.run_results(again) == store.run_results(run_id)
        assert store.run_verdicts(again) == store.run_verdicts(run_id)


def test_two_runs_run_one_after_another(db: Path) -> None:
    with Store(db) as store:
        first = create_run(store, "random_baseline", {"tasks": "1000", "instances": "200", "bootstrap": "2000"})
        second = create_run(store, "random_baseline", quick=True)
        workers = [_launch(db, first), _launch(db, second)]
        wait_for(store, second, timeout=WAIT)
        for worker in workers:
            worker.wait(WAIT)
        rows = {run: store.run_row(run) for run in (first, second)}
        assert all(row["status"] == "done" for row in rows.values())
        one, other = sorted(rows.values(), key=lambda row: (row["started_at"], row["finished_at"]))
        assert other["started_at"] >= one["finished_at"]  # whichever worker claimed the slot first


def test_runs_need_a_database_file_and_a_known_claim(db: Path) -> None:
    with Store(":memory:") as memory, pytest.raises(ExperimentError, match="database file"):
        create_run(memory, "random_baseline")
    with Store(db) as store:
        other = next(c for c in stored_claims(store) if "42.6" not in c.claim.text)
        with pytest.raises(ExperimentError, match="does not test"):
            create_run(store, "random_baseline", claim_id=other.id)
        with pytest.raises(ExperimentError, match="no claim:999999"):
            create_run(store, "random_baseline", claim_id=999999)


# -- issue 22: bad requests are refused up front; a run whose worker never started is noticed -----

class _Recorder:
    """A backend that starts nothing and remembers what it was asked to start."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, db_path: Path | str, run_id: int) -> None:
        self.submitted.append(run_id)


class _KilledAtStart(LocalBackend):
    """The local backend, whose worker is killed (as by the OOM killer) before it records its pid."""

    def submit(self, db_path: Path | str, run_id: int) -> subprocess.Popen[bytes]:
        worker = super().submit(db_path, run_id)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(WAIT)
        return worker


@pytest.mark.parametrize(("name", "parameters", "seeds", "message"), [
    ("instruction_tuning", {"n_values": "0"}, None, r"n_values=0: 0 is outside 1\.\.100000"),
    ("instruction_tuning", {"n_values": "4,0"}, None, r"n_values=4,0: 0 is outside 1\.\.100000"),
    ("instruction_tuning", {"n_values": " , "}, None, r"n_values=' , ' lists no values"),
    ("instruction_tuning", {"n_values": "4,4"}, None, "n_values=4,4: 4 is listed twice"),
    ("instruction_tuning", {"n_values": "4,x"}, None, r"n_values: 'x' is not a whole number"),
    ("prompt_sensitivity", {"shots": "-4"}, None, r"shots=-4: -4 is outside 0\.\.100000"),
    ("random_baseline", None, [-1], r"seed -1 is outside 0\.\.4294967295"),
    ("random_baseline", None, [1, 2, 1], "seed 1 is listed twice"),
])
def test_bad_parameters_and_seeds_are_refused_before_a_run_is_written(
        db: Path, name: str, parameters: dict[str, str] | None, seeds: list[int] | None, message: str) -> None:
    backend = _Recorder()
    with Store(db) as store:
        with pytest.raises(ExperimentError, match=message):
            start_run(store, name, parameters=parameters, seeds=seeds, quick=True, backend=backend)
        assert store.run_rows() == [] and backend.submitted == []


def test_parallel_below_one_is_refused_and_every_declared_value_is_valid() -> None:
    for parallel in (0, -3):
        with pytest.raises(ExperimentError, match=rf"parallel={parallel} is outside 1\.\."):
            LocalBackend(parallel)
    for spec in experiments():
        for quick in (False, True):
            values = spec.resolve(quick=quick)
            assert spec.resolve(values, quick) == values  # defaults and quick values pass their own checks
        assert spec.check_seeds(None) == spec.seeds


def test_cli_refuses_bad_parameters_with_exit_2_and_writes_no_run(capsys, db: Path) -> None:
    base = ("--detach", "--db", str(db))  # never follows a worker, even if one were started
    code, _, err = _cli(capsys, "run", "random_baseline", "--quick", "--seed", "-1", *base)
    assert code == 2 and "seed -1 is outside 0..4294967295" in err
    code, _, err = _cli(capsys, "run", "random_baseline", "--quick", "--seed", "3", "--seed", "3", *base)
    assert code == 2 and "seed 3 is listed twice" in err
    code, _, err = _cli(capsys, "run", "random_baseline", "--quick", "--parallel", "0", *base)
    assert code == 2 and "parallel=0 is outside 1.." in err
    code, _, err = _cli(capsys, "run", "instruction_tuning", "--quick", "--param", "n_values=0", *base)
    assert code == 2 and "n_values=0: 0 is outside 1..100000" in err
    code, out, _ = _cli(capsys, "runs", "--json", "--db", str(db))
    assert json.loads(out) == []


def test_worker_killed_before_recording_its_pid_is_interrupted_at_once_then_resumes(db: Path) -> None:
    with Store(db) as store:
        run = start_run(store, "random_baseline", quick=True, backend=_KilledAtStart())
        started = time.monotonic()
        assert follow_run(store, run.id, timeout=10).status == "interrupted"  # `run` waiting on it
        assert time.monotonic() - started < 3
        row = store.run_row(run.id)
        assert row["started_at"] is None and "ended before" in row["error"]
        assert [r.status for r in list_runs(store)] == ["interrupted"]  # `runs`
        resume_run(store, run.id, LocalBackend())
        assert follow_run(store, run.id, timeout=WAIT).status == "done"


def test_a_worker_counts_as_alive_from_the_moment_it_is_launched(db: Path) -> None:
    """LocalBackend records a worker's pid as soon as Popen returns, when the kernel may not have
    filled in its command line yet (a few ms): it must not be taken for dead, its run interrupted."""
    command = ["/bin/sh", "-c", "sleep 0.5", "notesgraph.experiments.runner"]  # a worker's command line, cheaply
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", quick=True)
        workers = []
        for launch in range(40):
            workers.append(subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True))
            store.update_run(run_id, pid=workers[-1].pid)
            assert mark_interrupted(store) == [], f"launch {launch} was taken for dead"
        for worker in workers:
            worker.wait(WAIT)
        assert mark_interrupted(store) == [run_id]  # and once they are gone, they are seen to be


def test_a_run_no_worker_ever_claims_is_interrupted_within_seconds_then_resumes(db: Path) -> None:
    backend = _Recorder()  # a backend that lost the job: nothing will ever claim the run
    with Store(db) as store:
        run = start_run(store, "random_baseline", quick=True, backend=backend)
        assert backend.submitted == [run.id] and list_runs(store)[0].status == "queued"
        started = time.monotonic()
        assert follow_run(store, run.id, timeout=20).status == "interrupted"
        assert time.monotonic() - started < 10
        assert "no worker" in store.run_row(run.id)["error"]
        resume_run(store, run.id, LocalBackend())
        assert follow_run(store, run.id, timeout=WAIT).status == "done"


def test_a_worker_that_cannot_be_started_fails_its_run_at_once_then_resumes(db: Path) -> None:
    blocker = run_folder(db, 1).parent  # runs-runs/ as a file: no run folder can be made
    blocker.write_text("in the way", encoding="utf-8")
    with Store(db) as store:
        with pytest.raises(ExperimentError, match="could not start a worker"):
            start_run(store, "random_baseline", quick=True)
        (row,) = store.run_rows()
        assert row["status"] == "failed" and "could not start a worker" in row["error"]
        blocker.unlink()
        resume_run(store, row["id"], LocalBackend())
        assert follow_run(store, row["id"], timeout=WAIT).status == "done"


# -- the CLI ------------------------------------------------------------------------------------

def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_experiments_run_runs_show_cancel_resume(capsys, db: Path) -> None:
    code, out, _ = _cli(capsys, "experiments", "--json")
    assert code == 0 and "random_baseline" in [e["name"] for e in json.loads(out)]
    code, out, _ = _cli(capsys, "experiments")
    assert "two_or_three" in out and "42.6" in out

    with Store(db) as store:
        claim = next(c for c in stored_claims(store) if "42.6%" in c.claim.text)
    code, out, err = _cli(capsys, "run", "--for-claim", str(claim.id), "--quick", "--seed", "5", "--db", str(db))
    assert code == 0, err
    # `run` ends with a short summary: one verdict per claim test and where the rest is.
    assert "Verdicts (one per claim test" in out and "random_baseline_em · " in out
    assert "12 result rows in" in out and "notesgraph runs show" in out and len(out.splitlines()) <= 12
    code, out, _ = _cli(capsys, "runs", "--db", str(db), "--json")
    run_id = json.loads(out)[0]["id"]
    code, out, _ = _cli(capsys, "runs", "--db", str(db))
    header, line = out.splitlines()[:2]
    assert code == 0 and "mode" in header and "took" in header and "verdict per claim test" in header
    assert "random_baseline" in line and " quick " in line and "done" in line and "random_baseline_em: " in line
    code, out, _ = _cli(capsys, "runs", "show", str(run_id), "--db", str(db), "--json")
    shown = json.loads(out)
    assert shown["status"] == "done" and len(shown["results"]) == 12 and shown["claims"]
    code, out, _ = _cli(capsys, "runs", "show", str(run_id), "--db", str(db))
    assert "Log" in out and "done:" in out and "benchmark_exact_match" in out and "seeds: 5" in out
    assert "verdicts of other conditions: add --verbose" in out
    code, out, _ = _cli(capsys, "runs", "show", str(run_id), "--verbose", "--db", str(db))
    assert "add --verbose" not in out and out.count("random_baseline_em · ") == len(shown["verdicts"])
    code, out, _ = _cli(capsys, "claims", "--db", str(db), "--json")
    tested = next(c for c in json.loads(out) if c["id"] == claim.id)
    assert tested["replications"] == ["random_baseline"] and tested["status"] != "untested"

    code, out, _ = _cli(capsys, "runs", "cancel", str(run_id), "--db", str(db))
    assert code == 0 and "done" in out
    code, _, err = _cli(capsys, "runs", "resume", str(run_id), "--db", str(db))
    assert code == 2 and "only failed, cancelled or interrupted" in err
    code, _, err = _cli(capsys, "run", "random_basline", "--db", str(db))
    assert code == 2 and "did you mean random_baseline" in err
    code, _, err = _cli(capsys, "run", "random_baseline", "--param", "tasks", "--db", str(db))
    assert code == 2 and "NAME=VALUE" in err
    code, _, err = _cli(capsys, "runs", "show", "--db", str(db))
    assert code == 2 and "needs a run ID" in err


def test_cli_resume_continues_a_cancelled_run(capsys, db: Path) -> None:
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", quick=True)
        assert cancel_run(store, run_id) == "cancelled"  # no worker yet: cancelled at once
    code, out, err = _cli(capsys, "runs", "resume", str(run_id), "--db", str(db))
    assert code == 0, err
    assert f"run {run_id}: random_baseline · quick · done" in out


def test_a_design_change_needs_a_new_version() -> None:
    """Each experiment's design fingerprint (implementation, conditions, claim tests, seeds,
    parameter defaults and quick values) is recorded for its version: changing the design
    without a new version fails here, so runs of two designs never share a version."""
    recorded = json.loads((Path(__file__).parent / "data" / "experiment_designs.json").read_text())
    from notesgraph.experiments.registry import experiments

    for spec in experiments():
        key = f"{spec.name}@{spec.version}"
        assert key in recorded, f"record {key}: {spec.design_fingerprint()} in tests/data/experiment_designs.json"
        assert recorded[key] == spec.design_fingerprint(), (
            f"{spec.name}'s design changed: give it a new version and record {spec.name}@NEW")
