"""The main window's reading: which page the reader shows for an item, and what its links do.

A mixin of MainWindow, kept apart so the window module stays about layout and walking. It
uses the window's store, graph, reader, similarity, stale_notes, exclude_linked, embed_problem
and status bar. Pages are built by the core (reader_html, run_page) from store and graph rows;
an inquiry's page comes from the graph's trace, once the graph is built (the store's list of
its sources until then).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog

from notesgraph import reader_html
from notesgraph.model import split_item_id


class PagesMixin:
    """Reader pages for MainWindow (see the module docstring for what it relies on)."""

    graph: Any
    similarity: Any

    def open_item(self, item: str) -> None:
        """Show `item` in the reader."""
        kind, ident = split_item_id(item)
        pages = {"note": self._note_page, "inquiry": self._inquiry_page, "claim": self._claim_page,
                 "run": self._run_page, "paper": lambda i: reader_html.paper_html(self.store.paper_page(int(i))),
                 "concept": lambda i: reader_html.concept_html(self.store.concept(i))}
        if kind not in pages:
            return
        try:
            page = pages[kind](ident)
        except LookupError:  # KeyError, or a claim or run gone
            self.statusBar().showMessage(f"{item} no longer exists (re-index with F5)", 5000)
            return
        self.reader.show_page(item, page)

    def reopen(self) -> None:
        if self.reader.current_item:
            self.open_item(self.reader.current_item)

    def _inquiry_page(self, ident: str) -> str:
        """The question, its source notes, their papers pooled and the inquiries they share."""
        from notesgraph import graph_queries

        item = f"inquiry:{ident}"
        if self.graph is None or item not in self.graph:
            return reader_html.inquiry_html(self.store.inquiry(int(ident)))
        return reader_html.trace_html(graph_queries.trace(self.graph, item),
                                      graph_queries.shared_inquiries(self.graph, item))

    def _claim_page(self, ident: str) -> str:
        """The claim panel with the experiments that test it and its runs (newest first)."""
        from notesgraph.claims import stored_claim
        from notesgraph.experiments.registry import specs_for_claim
        from notesgraph.experiments.runner import runs_of_claim

        stored = stored_claim(self.store, int(ident))
        return reader_html.claim_html(stored, specs_for_claim(stored.claim.text),
                                      runs_of_claim(self.store, stored.claim.key),
                                      self.reader.content_width(), self.reader.expanded)

    def _run_page(self, ident: str) -> str:
        from notesgraph.experiments.runner import claims_of_run, run_details
        from notesgraph.run_page import run_html

        run_id = int(ident)
        return run_html(run_details(self.store, run_id), claims_of_run(self.store, run_id),
                        self.reader.content_width(), self.reader.expanded)

    def _note_page(self, ident: str) -> str:
        """The note with our paper ranks and its Similar section when vectors exist."""
        from notesgraph.claims import stored_claims
        from notesgraph.similarity import NotEmbedded, Similarity

        note_id = int(ident)
        note = self.store.note(note_id)
        claims = stored_claims(self.store, [note_id])
        if self.similarity is None:
            self.similarity = Similarity(self.store)
        try:
            ranking = self.similarity.paper_ranking(note_id)
            similar = self.similarity.related(f"note:{note_id}", k=8,
                                              exclude_linked=self.exclude_linked.isChecked())
        except NotEmbedded:
            waiting = "<p><small>Similar items appear once embeddings are ready.</small></p>"
            return reader_html.note_html(note, claims=claims) + (
                f"<h3>Similar</h3>{waiting}" if not self.embed_problem else "")
        ranks = {int(p.item.split(":")[1]): p.our_rank for p in ranking.papers if p.our_rank}
        page = reader_html.note_html(note, ranks, claims)
        if note_id in self.stale_notes:  # right under the title, where it is seen
            page = page.replace("</h1>", "</h1>" + reader_html.stale_similarity_html(self._refreshing_embeddings()), 1)
        return page + reader_html.similar_html(similar, self.exclude_linked.isChecked())

    def show_plot(self, path: str) -> QDialog:
        """A run's plot at full size, in a window of its own."""
        from notesgraph.ui.run_windows import show_image

        return show_image(self, path)

    def show_run_report(self, run_id: int) -> QDialog | None:
        """A run's report.md in a wide window (its tables do not fit the reader)."""
        from notesgraph.experiments.runner import run_details
        from notesgraph.run_page import report_html
        from notesgraph.ui.run_windows import show_report

        try:
            details = run_details(self.store, run_id)
        except LookupError:
            self.statusBar().showMessage(f"run:{run_id} no longer exists", 5000)
            return None
        return show_report(self, f"Run {run_id} · {details.run.experiment} · report", report_html(details))


__all__ = ["PagesMixin"]
