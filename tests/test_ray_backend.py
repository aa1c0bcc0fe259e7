"""Runs on Ray (ray_backend.py) with a real local Ray instance (tests/conftest.py's `ray_address`):
the same numbers as the local backend, cancel keeps finished conditions, a killed Ray worker fails
its condition and `runs resume` finishes it, artefacts and the cached base model come back."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from notesgraph.cli import main
from notesgraph.experiments.ray_backend import RayBackend, stages, task_resources
from notesgraph.experiments.registry import experiment
from notesgraph.experiments.runner import (
    LocalBackend,
    cancel_run,
    create_run,
    make_backend,
    run_folder,
    wait_for,
)
from notesgraph.experiments.spec import ExperimentError
from notesgraph.store import Store
from test_experiments import SLOW, WAIT, db  # noqa: F401 - the fixture: a database with the seed note

RAY_WAIT = 300.0
"""The most a test waits for a run on Ray (a quick one takes ~10 s here, most of it starting workers)."""


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _run(db: Path, backend, name: str, parameters=None, seeds=None, quick=False, timeout=RAY_WAIT) -> int:
    """Start a run on `backend` and wait for it to finish; its id."""
    with Store(db) as store:
        run_id = create_run(store, name, parameters, seeds, quick)
        backend.submit(db, run_id)
        wait_for(store, run_id, timeout=timeout)
    return run_id


def _outcome(db: Path, run_id: int) -> tuple[str, list, list]:
    with Store(db) as store:
        return store.run_row(run_id)["status"], store.run_results(run_id), store.run_verdicts(run_id)


# -- without Ray running ----------------------------------------------------------------------------

def test_stages_keep_what_conditions_share_and_resources_follow_the_parameters() -> None:
    random_baseline, tuning, sensitivity = (experiment(n) for n in
                                            ("random_baseline", "instruction_tuning", "prompt_sensitivity"))
    assert stages(random_baseline) == [random_baseline.conditions]
    first, middle, last = stages(tuning)
    assert first == ("baselines",) and last == ("compare",) and len(middle) == 10  # 9 tuned + no_pretraining
    assert stages(sensitivity) == [("M1",), ("M1_no_yes_no", "M0")]
    assert task_resources(random_baseline, random_baseline.resolve(), 0) == {"num_cpus": 1.0, "num_gpus": 0.0}
    full = tuning.resolve()
    assert task_resources(tuning, full, 4) == {"num_cpus": 2.0, "num_gpus": 0.0}  # threads=2, no GPU backend
    assert task_resources(tuning, tuning.resolve(quick=True), 0)["num_cpus"] == 1.0
    assert task_resources(tuning, {**full, "backend": "hf_seq2seq"}, 1)["num_gpus"] == 1.0
    assert task_resources(tuning, {**full, "backend": "hf_seq2seq"}, 0)["num_gpus"] == 0.0
    assert isinstance(make_backend("ray", "auto"), RayBackend)
    assert make_backend("ray").worker_arguments() == ["--parallel", "1", "--ray", "local"]
    with pytest.raises(ExperimentError, match="for the ray backend"):
        make_backend("local", "10.0.0.1:6379")
    with pytest.raises(ExperimentError, match="not one of: local, ray"):
        make_backend("slurm")


def test_an_address_where_no_ray_answers_fails_the_run_at_once_and_says_so(capsys, db: Path) -> None:
    code, out, err = _cli(capsys, "run", "random_baseline", "--quick", "--backend", "ray", "--address",
                          "127.0.0.1:1", "--db", str(db))
    assert code == 2 and "failed" in out and "no Ray head answers at 127.0.0.1:1" in out
    code, _, err = _cli(capsys, "run", "random_baseline", "--quick", "--address", "auto", "--backend", "local",
                        "--db", str(db))
    assert code == 2 and "is for the ray backend: add --backend ray" in err


# -- on a real local Ray instance -------------------------------------------------------------------

def test_quick_random_baseline_on_ray_equals_the_local_backend(capsys, db: Path, ray_address: str) -> None:
    """`notesgraph run random_baseline --quick --backend ray` gives the local backend's numbers
    and verdicts, with its artefacts in the run folder and the run's Ray recorded."""
    code, out, err = _cli(capsys, "run", "random_baseline", "--quick", "--backend", "ray", "--address", ray_address,
                          "--db", str(db))
    assert code == 0, err
    assert "random_baseline · quick · done" in out and "12 result rows" in out
    code, _, err = _cli(capsys, "run", "random_baseline", "--quick", "--db", str(db))
    assert code == 0, err
    on_ray, local = _outcome(db, 1), _outcome(db, 2)
    assert on_ray[0] == "done" and on_ray == local
    assert [r[0] for r in on_ray[1]][::3] == list(experiment("random_baseline").conditions)  # run order kept
    folder = run_folder(db, 1)
    assert (folder / "results.png").stat().st_size > 10_000 and (folder / "results.csv").read_text().count("\n") == 13
    assert json.loads((folder / "run.json").read_text())["environment"]["backend"] == "ray"
    code, out, _ = _cli(capsys, "runs", "show", "1", "--db", str(db))
    assert f"on Ray 2." in out and f"at {ray_address}: 1 node(s), 2 CPUs" in out
    assert out.count("started on Ray") == 4 and out.count("finished on Ray") == 4


@pytest.mark.slow
def test_quick_instruction_tuning_on_ray_equals_the_local_backend(tmp_path: Path, ray_address: str) -> None:
    """Replication 1's quick protocol: the base model is pretrained once (the first condition),
    comes back to the run folder's cache and reaches the other tasks through the object store;
    `compare` reads the scores the other tasks sent back; numbers, verdicts and report as local."""
    local_db, ray_db = tmp_path / "local.db", tmp_path / "ray.db"
    local = _run(local_db, LocalBackend(), "instruction_tuning", quick=True)
    on_ray = _run(ray_db, RayBackend(ray_address), "instruction_tuning", quick=True)
    assert _outcome(ray_db, on_ray)[0] == "done"
    assert _outcome(ray_db, on_ray) == _outcome(local_db, local)
    folders = run_folder(local_db, local), run_folder(ray_db, on_ray)
    assert (folders[1] / "report.md").read_text() == (folders[0] / "report.md").read_text()
    assert sorted(p.name for p in (folders[1] / "scores").iterdir()) == sorted(
        p.name for p in (folders[0] / "scores").iterdir())
    bases = [sorted((folder.parent / "cache").glob("reader-base-*.pt")) for folder in folders]
    assert [p.name for p in bases[1]] == [p.name for p in bases[0]] and len(bases[1]) == 1
    with Store(ray_db) as store:
        log = [message for _, message in store.run_log(on_ray)]
    built = [m for m in log if "built reader-base-" in m]  # once per cluster: the others got it from Ray
    assert len(built) == 1 and built[0].startswith("condition baselines finished") and bases[1][0].name in built[0]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list, list]:
    """The outcome of the slow random-baseline run (seeds 3, 4) on this machine, uninterrupted."""
    db = tmp_path_factory.mktemp("reference") / "local.db"
    return _outcome(db, _run(db, LocalBackend(), "random_baseline", SLOW, [3, 4], timeout=WAIT))


def _kept_and_resumed(capsys, db: Path, run_id: int, reference: tuple[str, list, list]) -> list[str]:
    """Resume `run_id` with `runs resume` (on the backend it ran on); it ends done with the numbers
    of the uninterrupted local run `reference`. The conditions it had kept."""
    with Store(db) as store:
        kept = store.finished_conditions(run_id)
    code, out, err = _cli(capsys, "runs", "resume", str(run_id), "--db", str(db))
    assert code == 0, err + out
    assert _outcome(db, run_id) == reference
    with Store(db) as store:
        log = [message for _, message in store.run_log(run_id)]
    resumed = log.index(next(m for m in log if m.startswith("resumed;")))
    assert not any(m.startswith(f"condition {c} started") for c in kept for m in log[resumed:])
    return kept


def test_cancel_on_ray_keeps_finished_conditions_and_resume_finishes(capsys, db: Path, ray_address: str,
                                                                      reference) -> None:
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", SLOW, [3, 4])
        RayBackend(ray_address).submit(db, run_id)
        wait_for(store, run_id, timeout=RAY_WAIT, until=lambda row: bool(store.finished_conditions(run_id))
                 or row["status"] not in ("queued", "running"))
        assert cancel_run(store, run_id, wait=30) == "cancelled"
        kept = store.finished_conditions(run_id)
        assert 1 <= len(kept) < 4 and {r[0] for r in store.run_results(run_id)} == set(kept)
        assert store.run_verdicts(run_id) == []
        assert any("cancelled; kept" in message for _, message in store.run_log(run_id))
    assert _kept_and_resumed(capsys, db, run_id, reference) == kept


def test_a_killed_ray_worker_fails_its_condition_and_resume_finishes_it(capsys, db: Path, ray_address: str,
                                                                         reference) -> None:
    started = re.compile(r"condition (\S+) started on Ray \(.*, worker pid (\d+)\)")
    with Store(db) as store:
        run_id = create_run(store, "random_baseline", SLOW, [3, 4])
        RayBackend(ray_address).submit(db, run_id)
        row = wait_for(store, run_id, timeout=RAY_WAIT, until=lambda row: any(
            started.match(m) for _, m in store.run_log(run_id)) or row["status"] not in ("queued", "running"))
        victim, pid = next(started.match(m).groups() for _, m in store.run_log(run_id) if started.match(m))
        os.kill(int(pid), signal.SIGKILL)
        row = wait_for(store, run_id, timeout=RAY_WAIT)
        assert row["status"] == "failed" and f"{victim}: " in row["error"] and "runs resume" in row["error"]
        assert victim not in store.finished_conditions(run_id)
        assert any(m.startswith(f"condition {victim} failed on Ray") for _, m in store.run_log(run_id))
    assert victim not in _kept_and_resumed(capsys, db, run_id, reference)


def test_no_address_joins_the_instance_ray_start_left_unless_it_is_dead(tmp_path: Path, monkeypatch) -> None:
    """A `ray start` instance that died without `ray stop` leaves its address behind; ray.init()
    would wait minutes for it, so the run starts a new instance ("local") instead."""
    import socket

    from notesgraph.experiments.ray_backend import _init_address

    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert _init_address("local") is None and _init_address("auto") == "auto"  # nothing recorded: Ray's lookup
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "ray_current_cluster").write_text("127.0.0.1:1\n")
    assert _init_address("local") == "local" and _init_address("10.0.0.1:6379") == "10.0.0.1:6379"
    with socket.create_server(("127.0.0.1", 0)) as listening:
        (tmp_path / "ray" / "ray_current_cluster").write_text(f"127.0.0.1:{listening.getsockname()[1]}\n")
        assert _init_address("local") is None  # alive: join it
