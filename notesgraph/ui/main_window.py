"""The main window: navigator (left), neighbourhood view (centre), reader (right).

The window owns the walk history and wires the parts together; all data comes from the
core (store, graph) and long work runs on worker threads (`workers.Task`).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QFileSystemWatcher, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSpinBox,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from notesgraph.authoring import create_note
from notesgraph.indexer import IndexReport, index_folder
from notesgraph.kinds import kind_style
from notesgraph.parsing import NOTE_SUFFIXES
from notesgraph.store import Store
from notesgraph.ui import graph_bridge, theme
from notesgraph.ui.navigator import Navigator
from notesgraph.ui.neighbourhood_view import NeighbourhoodView
from notesgraph.ui.reader import Reader
from notesgraph.ui.window_history import DEFAULT_CAP, HistoryMixin
from notesgraph.ui.window_library import LibraryMixin
from notesgraph.ui.window_pages import PagesMixin
from notesgraph.ui.window_runs import RunsMixin
from notesgraph.ui.workers import Task, start

FILTER_KINDS = ("note", "concept", "inquiry", "paper", "claim", "run")
WATCHED_FILES_UP_TO = 2000
"""Beyond this many note files only folders are watched (inotify watches are limited)."""


def watched_paths(folder: Path, files_up_to: int) -> tuple[list[str], list[str]]:
    """(folders, note files) to watch: every folder of the tree but hidden ones, and the note
    files when there are at most `files_up_to` (else none). One scandir pass without a stat
    per entry (it runs on the Qt thread: two `rglob` passes with a stat each took ~2 s at
    100k notes). Symbolic links to folders are not followed."""
    folders: list[str] = []
    files: list[str] = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        folders.append(top)
        if len(files) <= files_up_to:
            files += [os.path.join(top, n) for n in names if os.path.splitext(n)[1].lower() in (".txt", ".md", ".markdown")]
    return folders, files if len(files) <= files_up_to else []


class MainWindow(HistoryMixin, PagesMixin, RunsMixin, LibraryMixin, QMainWindow):
    def __init__(self, db_path: Path, folder: Path, settings: QSettings | None = None,
                 embed: bool = True) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.folder = Path(folder)
        self.settings = settings or QSettings("notesgraph", "notesgraph")
        self.store = Store(self.db_path)
        self.graph: Any = None
        self.history: list[str] = []
        self.position = -1
        self.cap = DEFAULT_CAP
        self.expanded: set[str] = set()
        """Cluster nodes opened around the current centre (closed again on a walk)."""
        self._drawn_centre: str | None = None
        self.tasks: list[Task] = []
        self.report: IndexReport | None = None
        self.embed = embed
        self.similarity: Any = None
        self._search_similarity: Any = None
        self.embed_problem = ""
        self.stale_notes: set[int] = set()
        """Notes changed since they were embedded: their similarities are out of date."""
        self.run_dialog: Any = None
        self._run_status: dict[int, str] = {}
        self._reindex_again = False
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._folder_changed)
        self.watcher.fileChanged.connect(self._folder_changed)
        self._watch_timer = QTimer(self, singleShot=True, interval=700)
        self._watch_timer.timeout.connect(self._reindex_when_idle)

        self.view = NeighbourhoodView()
        self.setCentralWidget(self.view)
        self.reader = Reader()
        self.exclude_linked = QCheckBox("Similar: exclude what is already linked", checked=True)
        self.exclude_linked.toggled.connect(lambda _: self.reopen())
        reader_pane = QWidget()
        pane_layout = QVBoxLayout(reader_pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.addWidget(self.exclude_linked)
        pane_layout.addWidget(self.reader)
        self.navigator = Navigator(self.store)
        self.problems = QListWidget()
        self._dock("Navigator", self.navigator, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Reader", reader_pane, Qt.DockWidgetArea.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.problems_dock.hide()
        self.resizeDocks([self.findChild(QDockWidget, "Navigator"), self.findChild(QDockWidget, "Reader")],
                         [290, 430], Qt.Orientation.Horizontal)
        self._build_toolbar()
        self._build_menus()
        self.progress = QProgressBar(maximumWidth=220, visible=False)
        self.statusBar().addPermanentWidget(self.progress)
        self.cancel_button = QToolButton(text="Cancel", visible=False)
        self.cancel_button.setToolTip("Stop indexing after the current file (what is done is kept), "
                                      "or stop embedding after the current batch")
        self.cancel_button.clicked.connect(self.cancel_tasks)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.editor_action: QAction | None = None
        self.editor_button = QToolButton(visible=False)
        self.statusBar().addPermanentWidget(self.editor_button)
        self.run_progress = QProgressBar(maximumWidth=220, visible=False, format="run %v/%m")
        self.statusBar().addPermanentWidget(self.run_progress)
        self.watched_runs: dict[int, str] = {}
        self._run_timer = QTimer(self, interval=400)
        self._run_timer.timeout.connect(self._poll_runs)

        self.view.walkRequested.connect(self._view_walk)
        self.view.openRequested.connect(self.open_item)
        self.view.moreRequested.connect(self.show_more)
        self.view.expandRequested.connect(self.expand_cluster)
        self.reader.itemActivated.connect(self._reader_link)
        self.reader.createRequested.connect(self.create_stub_note)
        self.reader.runRequested.connect(self.launch_run)
        self.reader.cancelRequested.connect(self.cancel_run)
        self.reader.replicateRequested.connect(self.open_run_dialog)
        self.reader.refreshRequested.connect(self.reopen)
        self.reader.imageRequested.connect(self.show_plot)
        self.reader.reportRequested.connect(self.show_run_report)
        self.reader.citeRequested.connect(self.copy_bibtex)
        self.navigator.itemChosen.connect(self.walk_and_open)
        self.setWindowTitle(f"notesgraph — {self.folder}")
        self.resize(1400, 860)
        self._restore()

    # -- construction ------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar(self) -> None:
        bar = QToolBar("Walk", self)
        bar.setObjectName("walk")
        self.addToolBar(bar)
        self.back_action = bar.addAction("◀ Back", self.back)
        self.back_action.setShortcut(QKeySequence("Alt+Left"))
        self.forward_action = bar.addAction("Forward ▶", self.forward)
        self.forward_action.setShortcut(QKeySequence("Alt+Right"))
        bar.addSeparator()
        bar.addWidget(QLabel(" Depth "))
        self.depth = QSpinBox(minimum=1, maximum=3, value=1)
        self.depth.valueChanged.connect(lambda _: self.redraw())
        bar.addWidget(self.depth)
        bar.addSeparator()
        self.filters: dict[str, QCheckBox] = {}
        for kind in FILTER_KINDS:
            box = QCheckBox(kind_style(kind).plural, checked=True)
            box.setStyleSheet(f"QCheckBox {{ color: {kind_style(kind).colour}; }}")
            box.toggled.connect(lambda _: self.redraw())
            bar.addWidget(box)
            self.filters[kind] = box
        self.similar_box = QCheckBox("Similar", checked=True)
        self.similar_box.toggled.connect(lambda _: self.redraw())
        bar.addWidget(self.similar_box)
        bar.addSeparator()
        bar.addAction("Fit", self.view.fit)
        self.graph_action = bar.addAction("Open in graph", self.open_in_graph)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("&Open folder…", QKeySequence("Ctrl+O"), self.choose_folder)
        file_menu.addAction("&Re-index", QKeySequence("F5"), self.reindex)
        file_menu.addAction("&Import library…", self.choose_library)
        file_menu.addAction("Save &BibTeX of this page's papers…", self.save_bibtex)
        file_menu.addSeparator()
        file_menu.addAction("&Quit", QKeySequence("Ctrl+Q"), self.close)
        view_menu = self.menuBar().addMenu("&View")
        self.dark_action = view_menu.addAction("&Dark theme", QKeySequence("Ctrl+Shift+D"), self.toggle_dark)
        self.dark_action.setCheckable(True)
        self.dark_action.setChecked(theme.current() == "dark")
        go_menu = self.menuBar().addMenu("&Go")
        go_menu.addAction(self.back_action)
        go_menu.addAction(self.forward_action)
        search = QAction("&Search", self, shortcut=QKeySequence("Ctrl+K"))
        search.triggered.connect(self.navigator.focus_search)
        self.addAction(search)
        go_menu.addAction(search)

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        self.problems_dock.hide()
        self.restore_history()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        for task in self.tasks:
            task.cancel()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("folder", str(self.folder))
        self.save_history()
        super().closeEvent(event)

    # -- indexing ----------------------------------------------------------------------------

    def reindex(self) -> Task:
        """Index the folder on a worker thread (its own database connection), then refresh.
        Cancel stops it after the current file: what is indexed so far is kept and shown."""
        db_path, folder = self.db_path, self.folder
        stop = threading.Event()

        def work(progress: Any) -> tuple[IndexReport, Any, set[int]]:
            from notesgraph.embeddings import stale_notes

            with Store(db_path) as store:
                report = index_folder(store, folder, lambda step: progress(step.done, step.total, step.path),
                                      should_stop=stop.is_set)
                progress(0, 0, "building the graph")
                return report, graph_bridge.build(store), stale_notes(store)

        return self._run(work, "Indexing", self._indexed, stop=stop)

    def cancel_tasks(self) -> None:
        """The Cancel button: stop every running task (indexing keeps the files done)."""
        for task in self.tasks:
            task.cancel()
        self.statusBar().showMessage("Stopping…")

    def _run(self, work: Any, label: str, done: Any, failed: Any = None,
             stop: threading.Event | None = None) -> Task:
        task = Task(work, stop)
        task.label = label
        self.tasks.append(task)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.statusBar().showMessage(f"{label}…")

        def on_progress(count: int, total: int, message: str) -> None:
            if not shiboken6.isValid(self.progress):  # a report queued before the window was deleted
                return
            self.progress.setRange(0, total)
            self.progress.setValue(count)
            self.statusBar().showMessage(f"{label} {count}/{total}: {Path(message).name}" if total
                                         else f"{label}: {message}…")

        def finish(result: Any) -> None:
            if not shiboken6.isValid(self.progress):
                return
            self.tasks.remove(task)
            self._tasks_changed()
            done(result)

        def fail(message: str) -> None:
            if not shiboken6.isValid(self.progress):
                return
            self.tasks.remove(task)
            self._tasks_changed()
            self.statusBar().showMessage(f"{label} failed: {message}")
            if failed is not None:
                failed(message)
            elif message != "cancelled":
                QMessageBox.warning(self, "notesgraph", f"{label} failed:\n{message}")

        task.signals.progress.connect(on_progress)
        task.signals.finished.connect(finish)
        task.signals.failed.connect(fail)
        return start(task)

    def _tasks_changed(self) -> None:
        """The progress bar and Cancel show while any task runs."""
        busy = bool(self.tasks)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def _indexed(self, result: tuple[IndexReport, Any, set[int]]) -> None:
        report, self.graph, stale = result
        self.report = report
        self._set_stale(stale)
        self._watch()
        from notesgraph.experiments.runner import mark_interrupted

        mark_interrupted(self.store)  # runs whose process died while the app was closed
        if self.similarity is not None:
            self.similarity.refresh()
        self.statusBar().showMessage(
            f"{report.added + report.updated + report.unchanged} notes · {report.added} added, "
            f"{report.updated} updated, {report.removed} removed · {len(report.problems)} problems", 10000)
        if report.stopped:
            self.statusBar().showMessage(
                f"Indexing stopped: {report.done} of {report.done + report.left} changed files indexed "
                f"(kept); F5 indexes the other {report.left}", 20000)
        self._show_problems(report)
        self.navigator.refresh()
        self.prune_history()
        if self.current is None:
            remembered = str(self.settings.value("current", "") or "")
            first = remembered if graph_bridge.has_item(self.graph, remembered) else graph_bridge.hub(self.graph)
            if first:
                self.walk(first)
                self.open_item(first)
        else:
            self.redraw(animate=False)
            self.open_item(self.reader.current_item or self.current)
        if self.embed and not report.stopped:  # stopped by the user: start no more work
            self.embed_now()
        if self._reindex_again:
            self._reindex_again = False
            self.reindex()

    # -- embeddings --------------------------------------------------------------------------

    def embed_now(self) -> Task:
        """Embed what is new or changed on a worker thread (torch loads there, never on the
        UI thread); then add `similar` edges and refresh the reader's Similar section."""
        db_path = self.db_path

        def work(progress: Any) -> Any:
            from notesgraph.embeddings import Encoder, embed_store

            from notesgraph.embeddings import stale_notes

            with Store(db_path) as store:
                report = embed_store(store, Encoder(), lambda step: progress(step.done, step.total, "passages"))
                return report, graph_bridge.similar(store), stale_notes(store)

        return self._run(work, "Embedding", self._embedded, self._embedding_failed)

    def _semantic_search(self, text: str) -> list[Any]:
        """Hybrid search for the navigator; runs on a worker with its own connection (the
        model loads there on the first query)."""
        from notesgraph.similarity import Similarity

        if self._search_similarity is None:
            self._search_similarity = Similarity(Store(self.db_path))
        return self._search_similarity.hybrid_search(text, k=30)

    def _embedded(self, result: Any) -> None:
        report, pairs, stale = result
        self.embed_problem = ""
        self._set_stale(stale)
        if self._search_similarity is not None:
            self._search_similarity.refresh()
        self.navigator.semantic_search = self._semantic_search
        if self.graph is not None and pairs is not None:
            graph_bridge.set_similar(self.graph, pairs)
        if self.similarity is not None:
            self.similarity.refresh()
        self.statusBar().showMessage(f"Embeddings up to date ({report.embedded} passages embedded)", 8000)
        self.redraw(animate=False)
        self.reopen()

    def _set_stale(self, stale: set[int]) -> None:
        """Remember (and mark in the navigator) the notes whose vectors are out of date."""
        self.stale_notes = set(stale)
        self.navigator.mark_stale({f"note:{i}" for i in stale}, self._refreshing_embeddings())

    def _refreshing_embeddings(self) -> bool:
        return self.embed and not self.embed_problem

    def _embedding_failed(self, message: str) -> None:
        """A missing or broken model: say so once; text search and the graph keep working."""
        if message == "cancelled":  # the Cancel button: vectors stay as they were
            self.statusBar().showMessage("Embedding cancelled; similarities refresh on the next re-index (F5)",
                                         10000)
            return
        self.embed_problem = message
        self._set_stale(self.stale_notes)
        entry = QListWidgetItem(f"Embeddings unavailable: {message} — full-text search and the graph "
                                "still work; similarity needs a working model (notesgraph index --model PATH).")
        self.problems.addItem(entry)
        self.problems_dock.setVisible(True)

    # -- live folder -------------------------------------------------------------------------

    def _watch(self) -> None:
        """Watch the folder tree (and, for moderate folders, every note file) for changes."""
        old = self.watcher.directories() + self.watcher.files()
        if old:
            self.watcher.removePaths(old)
        folders, files = watched_paths(self.folder, WATCHED_FILES_UP_TO)
        self.watcher.addPaths(folders)
        if files:
            self.watcher.addPaths(files)

    def _folder_changed(self, _path: str) -> None:
        self._watch_timer.start()

    def _reindex_when_idle(self) -> None:
        """Re-index after a change on disk; if indexing is already running, once more after it."""
        if any(task.label == "Indexing" for task in self.tasks):
            self._reindex_again = True
        else:
            self.reindex()

    def _show_problems(self, report: IndexReport) -> None:
        self.problems.clear()
        for problem in report.problems:
            entry = QListWidgetItem(problem.describe())
            entry.setToolTip(problem.describe())
            self.problems.addItem(entry)
        self.problems_dock.setWindowTitle(f"Problems ({len(report.problems)})")
        self.problems_dock.setVisible(bool(report.problems))

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Open notes folder", str(self.folder))
        if chosen:
            self.open_folder(Path(chosen))

    def open_folder(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.settings.setValue("folder", str(self.folder))
        self.setWindowTitle(f"notesgraph — {self.folder}")
        self.history, self.position = [], -1
        self.editor_button.hide()
        self.reindex()

    # -- walking -----------------------------------------------------------------------------

    def _view_walk(self, item: str) -> None:
        """A click on a node walks there; a run (a leaf with nothing around it but its claim)
        and an inquiry line (its sources and papers are the point) also open their page."""
        if item.startswith(("run:", "inquiry:")):
            self.walk_and_open(item)
        else:
            self.walk(item)

    def _reader_link(self, item: str) -> None:
        """A link in the reader walks there; a claim (the ◆ after a sentence) and an inquiry
        also open their page, and so does every link of an inquiry's page (its sources)."""
        if item.startswith(("claim:", "inquiry:")) or self.reader.current_item.startswith("inquiry:"):
            self.walk_and_open(item)
        else:
            self.walk(item)

    def walk_and_open(self, item: str) -> None:
        self.walk(item)
        self.open_item(item)

    def show_more(self) -> None:
        self.cap *= 2
        self.redraw(animate=False)

    def toggle_dark(self) -> None:
        """Switch between the light and the dark theme (remembered for the next start)."""
        name = "dark" if self.dark_action.isChecked() else "light"
        theme.apply(QApplication.instance(), name)  # type: ignore[arg-type]
        self.settings.setValue("theme", name)
        self.view.apply_colours()
        self.redraw(animate=False)

    def expand_cluster(self, cluster: str) -> None:
        self.expanded.add(cluster)
        self.redraw(animate=False)

    def redraw(self, animate: bool = True) -> None:
        self.back_action.setEnabled(self.position > 0)
        self.forward_action.setEnabled(self.position < len(self.history) - 1)
        if self.graph is None or self.current is None:
            return
        if self.current != self._drawn_centre:
            self.expanded.clear()
            self._drawn_centre = self.current
        kinds = {kind for kind, box in self.filters.items() if box.isChecked()}
        nodes, edges, omitted = graph_bridge.neighbourhood(
            self.graph, self.current, self.depth.value(), kinds, self.similar_box.isChecked(), self.cap,
            self.expanded)
        self.view.show_neighbourhood(nodes, edges, omitted, animate=animate)

    # -- reading: ui/window_pages.py ----------------------------------------------------------

    def create_stub_note(self, title: str) -> None:
        """Write a Markdown note for an unresolved concept, index it and offer to edit it; the
        reader stays where it was (the page is refreshed in place)."""
        try:
            concept = self.store.concept(graph_bridge.concept_key(title))
        except KeyError:  # a stub named only by a link or mention has no listing to copy
            concept = None
        description = concept["description"] if concept else ""
        sources = [n["title"] for n in concept["listed_by"]] if concept else []
        try:
            path = create_note(self.folder, title, description, sources)
        except OSError as error:
            QMessageBox.warning(self, "notesgraph", f"Could not write the note into {self.folder}:\n{error}")
            return
        self.statusBar().showMessage(f"Created {path.name}", 5000)
        self.offer_editor(path)
        self.reindex()

    def offer_editor(self, path: Path) -> None:
        """A status-bar button "Open NAME in editor" for a note just written: the system's
        application for the file (QDesktopServices), so the new note's lede can be written."""
        action = QAction(f"Open {path.name} in editor", self)
        action.setData(str(path))
        action.setToolTip(str(path))
        action.triggered.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        self.editor_action = action
        self.editor_button.setDefaultAction(action)
        self.editor_button.show()

    def open_in_graph(self) -> None:
        """The full graph (or this neighbourhood at depth 3) as the offline HTML page."""
        if self.graph is None:
            return
        path = graph_bridge.export_html(self.graph, self.current, self.db_path.parent)
        if not graph_bridge.show_html_window(self, path):
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


__all__ = ["MainWindow"]
