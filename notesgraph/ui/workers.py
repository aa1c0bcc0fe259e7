"""Run core work (indexing, embedding, runs) off the Qt thread and report back by signals.

Core functions take a progress callback; `Task` calls them on a QThreadPool thread and
turns progress, result and error into queued signals, so widgets never block.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class TaskSignals(QObject):
    progress = Signal(int, int, str)  # done, total, message
    finished = Signal(object)  # the function's result
    failed = Signal(str)  # one-line message; the traceback goes to the log


class CancelledError(Exception):
    """Raised inside a task's progress callback once the user has cancelled it."""


class Task(QRunnable):
    """`function(progress)` on a worker thread; `progress(done, total, message)` may be called
    any number of times and raises CancelledError after cancel().

    A task given a `stop` event is cooperative instead: cancel() sets the event, which the
    function checks (e.g. index_folder's `should_stop=stop.is_set`) to end early and return
    what it has done, so progress never raises and the result still arrives by `finished`.
    """

    def __init__(self, function: Callable[[Callable[[int, int, str], None]], Any],
                 stop: threading.Event | None = None) -> None:
        super().__init__()
        self.function = function
        self.signals = TaskSignals()
        self.cancelled = False
        self.stop = stop
        self.label = ""
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self.cancelled = True
        if self.stop is not None:
            self.stop.set()

    def _progress(self, done: int, total: int, message: str = "") -> None:
        if self.cancelled and self.stop is None:
            raise CancelledError()
        self.signals.progress.emit(done, total, message)

    def run(self) -> None:  # noqa: D102 - QRunnable API
        try:
            result = self.function(self._progress)
        except CancelledError:
            self.signals.failed.emit("cancelled")
        except Exception as error:  # noqa: BLE001 - a worker must report, never crash the app
            traceback.print_exc()
            self.signals.failed.emit(f"{type(error).__name__}: {error}")
        else:
            self.signals.finished.emit(result)


def start(task: Task, pool: QThreadPool | None = None) -> Task:
    """Start `task` on the pool (the global one by default) and return it."""
    (pool or QThreadPool.globalInstance()).start(task)
    return task
