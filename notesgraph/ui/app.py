"""Start the desktop app: the window shows first, indexing follows on a worker thread."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from notesgraph.config import bundled_notes_folder
from notesgraph.ui import theme
from notesgraph.ui.main_window import MainWindow


def application() -> QApplication:
    """The one QApplication (created on first use)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("notesgraph")
    app.setOrganizationName("notesgraph")
    return app  # type: ignore[return-value]


def choose_folder(folder: Path | None, settings: QSettings) -> Path:
    """The folder asked for, else the last one opened, else the bundled notes."""
    if folder is not None:
        return folder
    last = settings.value("folder")
    if last and Path(str(last)).is_dir():
        return Path(str(last))
    return bundled_notes_folder()


def run_app(folder: Path | None, db_path: Path, screenshot: Path | None = None, embed: bool = True,
            theme_name: str | None = None, depth: int | None = None) -> int:
    """Open the window on `folder` (indexing it in the background) and run until it closes.

    With `screenshot`, wait for indexing, save a PNG of the window and return instead.
    `theme_name` (system, light, dark) overrides the remembered theme; `depth` the view's
    starting depth (1-3).
    """
    app = application()
    if screenshot is None:
        settings = QSettings()
    else:  # a picture of the default window: neither read nor change the user's settings
        scratch = tempfile.mkdtemp(prefix="notesgraph-")
        settings = QSettings(str(Path(scratch) / "settings.ini"), QSettings.Format.IniFormat)
    theme.apply(app, theme_name or str(settings.value("theme", "system")))
    app.setWindowIcon(theme.app_icon())
    window = MainWindow(db_path, choose_folder(folder, settings), settings, embed=embed)
    if depth is not None:
        window.depth.setValue(depth)
    window.show()
    # What the database already holds, listed right after the first paint; then re-index.
    QTimer.singleShot(0, window.navigator.refresh)
    task = window.reindex()
    if screenshot is None:
        return app.exec()
    loop = QEventLoop()
    poll = QTimer(interval=200)
    # Indexing, then embedding: wait until no task is left, plus the walk animation.
    poll.timeout.connect(lambda: window.tasks or (poll.stop(), QTimer.singleShot(600, loop.quit)))
    task.signals.finished.connect(lambda _: poll.start())
    task.signals.failed.connect(lambda _: loop.quit())
    loop.exec()
    saved = window.grab().save(str(screenshot))
    window.close()
    return 0 if saved else 2
