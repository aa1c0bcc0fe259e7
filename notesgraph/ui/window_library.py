"""The main window's reference library: File → Import library… (BibTeX, CSL-JSON, RIS) and
BibTeX out (the reader's "Copy BibTeX" links, File → Save BibTeX…).

A mixin of MainWindow, kept apart so the window module stays about layout and walking. The
import runs on a worker thread with its own connection (like indexing), then the graph, the
lists and the page are refreshed and the paper vectors re-embedded (abstracts are new text).
The work itself is notesgraph.library's, the same functions the CLI calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from notesgraph.store import Store
from notesgraph.ui import graph_bridge

LIBRARY_FILTER = "Reference libraries (*.bib *.bibtex *.json *.ris);;BibTeX (*.bib *.bibtex);;CSL-JSON (*.json);;RIS (*.ris)"


class LibraryMixin:
    """Import and cite for MainWindow (uses its store, db_path, graph, navigator, reader, _run)."""

    graph: Any
    last_import: Any = None
    """The LibraryImport of the last import (what the summary box said), for tests and the log."""

    def choose_library(self) -> None:
        """File → Import library…: pick a file, then import it on a worker."""
        path, _ = QFileDialog.getOpenFileName(self, "Import your reference library", "", LIBRARY_FILTER)
        if path:
            self.import_library_file(Path(path))

    def import_library_file(self, path: Path) -> Any:
        """Import `path` on a worker thread; the summary (and any skipped entries) shows when done."""
        db_path = self.db_path

        def work(progress: Any) -> tuple[Any, Any]:
            from notesgraph.library import import_library

            with Store(db_path) as store:
                progress(0, 0, f"reading {path.name}")
                report = import_library(store, path)
                progress(0, 0, "building the graph")
                return report, graph_bridge.build(store)

        return self._run(work, "Importing library", self._library_imported)

    def _library_imported(self, result: tuple[Any, Any]) -> None:
        report, self.graph = result
        self.last_import = report
        self.navigator.refresh()
        self.redraw(animate=False)
        if self.reader.current_item:
            self.open_item(self.reader.current_item)
        summary = (f"{report.added} new entries, {report.updated} updated, {report.removed} removed; "
                   f"{report.matched} matched to papers your notes cite, "
                   f"{len(report.matches) - report.matched} only in the library; "
                   f"{report.citations_resolved} claims now resolved")
        self.statusBar().showMessage(f"Imported {Path(report.path).name}: {summary}", 15000)
        if report.problems:
            shown = "\n".join(str(p) for p in report.problems[:20])
            more = f"\n… and {len(report.problems) - 20} more" if len(report.problems) > 20 else ""
            QMessageBox.warning(self, "notesgraph", f"Imported {report.path}: {summary}.\n\n"
                                f"Skipped {len(report.problems)} entries:\n{shown}{more}")
        if getattr(self, "embed", False):
            self.embed_now()  # abstracts are new text for the paper vectors

    def bibtex_of(self, item: str) -> tuple[str, int]:
        """(BibTeX, number of papers) for an item: a paper's own entry, a note's listed papers."""
        from notesgraph.library import bibtex_for, papers_for

        papers = papers_for(self.store, item)
        return bibtex_for(self.store, papers), len(papers)

    def copy_bibtex(self, item: str) -> str:
        """The reader's "Copy BibTeX" link: the BibTeX goes to the clipboard."""
        text, count = self.bibtex_of(item)
        QApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied the BibTeX of {count} paper{'s' if count != 1 else ''} "
                                     "to the clipboard", 8000)
        return text

    def save_bibtex(self) -> None:
        """File → Save BibTeX…: the papers of the page shown (a note's or a paper's) to a .bib file."""
        item = self.reader.current_item or ""
        if not item.startswith(("note:", "paper:")):
            self.statusBar().showMessage("Open a note or a paper first: its papers are what is saved", 8000)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save BibTeX", "references.bib", "BibTeX (*.bib)")
        if path:
            text, count = self.bibtex_of(item)
            Path(path).write_text(text, encoding="utf-8")
            self.statusBar().showMessage(f"Saved {count} entries to {path}", 8000)


__all__ = ["LibraryMixin"]
