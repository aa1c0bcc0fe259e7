"""The main window's replication runs: start one (from a claim panel link or the "Run
replication…" dialog), watch its progress, cancel it, and keep its graph node current.

A mixin of MainWindow, kept apart so the window module stays about layout and walking. It
uses the window's store, db_path, graph, navigator, reader, status bar, run_progress and
_run_timer; every run goes through notesgraph.experiments.runner, as `notesgraph run` does.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from notesgraph.ui import graph_bridge


class RunsMixin:
    """Replication runs for MainWindow (see the module docstring for what it relies on)."""

    watched_runs: dict[int, str]
    """run id -> the item (claim) whose panel shows it, while the run is queued or running"""
    _run_status: dict[int, str]
    run_dialog: Any

    def launch_run(self, spec: str) -> int | None:
        """A quick/full link of the claim panel ("experiment:quick:claim id"): start it."""
        from urllib.parse import unquote

        name, quick, claim = spec.rsplit(":", 2)
        return self.start_run(unquote(name), quick == "1", int(claim))

    def start_run(self, name: str, quick: bool, claim_id: int, parameters: dict[str, Any] | None = None,
                  seeds: list[int] | None = None, backend: str = "local", address: str = "") -> int | None:
        """Start a replication run for a claim in its own process (on Ray with backend "ray") and
        watch it: the same core calls as `notesgraph run` (runner.make_backend, runner.start_run)."""
        from notesgraph.experiments import runner

        try:
            run_id = runner.start_run(self.store, name, claim_id, parameters, seeds, quick,
                                      runner.make_backend(backend, address or None)).id
        except Exception as error:  # noqa: BLE001 - an experiment error is the user's to read
            QMessageBox.warning(self, "notesgraph", f"Could not start the run:\n{error}")
            return None
        self.watched_runs[run_id] = f"claim:{claim_id}"
        self.navigator.refresh_claims_and_runs()
        self._refresh_run_nodes()
        self.statusBar().showMessage(f"Run {run_id} started ({name}{' on Ray' if backend == 'ray' else ''})", 5000)
        self._run_timer.start()
        self.reopen()
        return run_id

    def open_run_dialog(self, target: str) -> None:
        """"Run replication…" ("experiment:claim id"): the dialog; Start launches the run."""
        from notesgraph.claims import stored_claim
        from notesgraph.experiments.registry import specs_for_claim
        from notesgraph.ui.run_dialog import RunDialog

        name, _, claim = target.rpartition(":")
        try:
            stored = stored_claim(self.store, int(claim))
        except (LookupError, ValueError):
            self.statusBar().showMessage(f"claim:{claim} no longer exists (re-index with F5)", 5000)
            return
        specs = specs_for_claim(stored.claim.text)
        if not specs:
            self.statusBar().showMessage("No experiment tests this claim yet", 5000)
            return
        dialog = RunDialog(specs, stored.claim.text, name, self)

        def start() -> None:
            choice = dialog.choice()
            if choice is not None:
                self.start_run(choice.experiment, choice.quick, stored.id, choice.parameters, choice.seeds,
                               choice.backend, choice.address)

        dialog.accepted.connect(start)
        self.run_dialog = dialog
        dialog.open()

    def _refresh_run_nodes(self) -> None:
        """Run nodes follow the store (a run started or changed status); redraw if shown."""
        if self.graph is None:
            return
        graph_bridge.refresh_runs(self.graph, self.store)
        if self.current is None or graph_bridge.has_item(self.graph, self.current):
            self.redraw(animate=False)  # (a deleted run that was the centre: wait for a walk)

    def cancel_run(self, run_id: int) -> None:
        from notesgraph.experiments import runner

        self.statusBar().showMessage(f"Run {run_id}: {runner.cancel_run(self.store, run_id)}", 5000)

    def _poll_runs(self) -> None:
        """Progress of watched runs in the status bar; a finished run refreshes its claim panel."""
        from notesgraph.experiments import runner

        runs = runner.watch_runs(self.store, list(self.watched_runs))
        for run_id, item in list(self.watched_runs.items()):
            run = runs.get(run_id)
            if run is None:
                del self.watched_runs[run_id]
                continue
            self.run_progress.setRange(0, max(run.progress_total, 1))
            self.run_progress.setValue(run.progress_done)
            self.run_progress.show()
            if self._run_status.get(run_id) != run.status:  # the run node's label changes
                self._run_status[run_id] = run.status
                self._refresh_run_nodes()
            if run.status not in ("queued", "running"):
                del self.watched_runs[run_id]
                self.statusBar().showMessage(f"Run {run_id} {run.status}", 10000)
                self.navigator.refresh_claims_and_runs()
            if self.reader.current_item in (item, f"run:{run_id}"):
                self.reopen()
            if run_id not in self.watched_runs:
                self._run_status.pop(run_id, None)
        if not self.watched_runs:
            self._run_timer.stop()
            self.run_progress.hide()


__all__ = ["RunsMixin"]
