"""The app on a generated store (make_corpus.py): the first window, the start until the first
walk is drawn, and a click-to-walk, timed and reported (as test properties and on stdout), not
asserted as timings: speed is measured in benchmarks/bench_ui.py.

CI runs it on 200 notes (a few seconds). A bigger store: NOTESGRAPH_APP_TEST_NOTES=20000,
and NOTESGRAPH_APP_TEST_DIR=DIR to reuse DIR/corpus-N and DIR/graph-N.db (bench_graph.py's
--workdir); writing and indexing 20,000 notes costs ~4 minutes and ~0.6 GB of disk here,
which is why CI does not.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings

from conftest import REPO
from notesgraph.graph_compact import CompactGraph
from notesgraph.indexer import index_folder
from notesgraph.store import Store
from notesgraph.ui.main_window import MainWindow

sys.path.insert(0, str(REPO / "benchmarks"))
from make_corpus import write_corpus  # noqa: E402


def generated_store(n: int, tmp_path: Path) -> tuple[Path, Path]:
    """(corpus, database) of n generated notes: reused from NOTESGRAPH_APP_TEST_DIR when
    there, else written and indexed into tmp_path."""
    workdir = Path(os.environ.get("NOTESGRAPH_APP_TEST_DIR", tmp_path))
    corpus, db = workdir / f"corpus-{n}", workdir / f"graph-{n}.db"
    if not corpus.exists():
        write_corpus(n, corpus, seed=0)
    if not db.exists():
        with Store(db) as store:
            index_folder(store, corpus)
    return corpus, db


def test_the_app_opens_a_generated_store_and_walks(qtbot, tmp_path: Path, record_property) -> None:
    n = int(os.environ.get("NOTESGRAPH_APP_TEST_NOTES", "200"))
    corpus, db = generated_store(n, tmp_path)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    started = time.perf_counter()
    win = MainWindow(db, corpus, settings, embed=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    first_window = time.perf_counter() - started
    win.reindex()
    qtbot.waitUntil(lambda: win.current is not None and not win.tasks, timeout=600_000)
    ready = time.perf_counter() - started
    assert isinstance(win.graph, CompactGraph)
    assert win.report.added == 0 and win.report.unchanged == n  # the store was complete: nothing re-read

    notes = sorted(node for node, kind in win.graph.nodes(data="kind") if kind == "note" and node != win.current)
    item = random.Random(0).choice(notes)
    win.depth.setValue(2)
    started = time.perf_counter()
    win.walk(item)
    win.view.finish_animation()
    qtbot.wait(1)
    walk = time.perf_counter() - started
    assert win.current == item and item in win.view.nodes
    assert len(win.view.nodes) > 10  # a note of the generated corpus lists ~120 inquiries and ~8 papers

    timings = {"notes": n, "first_window_s": round(first_window, 3), "start_to_first_walk_s": round(ready, 3),
               "click_to_walk_ms": round(walk * 1000, 1)}
    for name, value in timings.items():
        record_property(name, value)
    print(f"\napp on a generated {n:,}-note store: {timings}")
