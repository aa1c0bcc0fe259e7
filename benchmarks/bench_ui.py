"""Benchmark: the desktop app, offscreen, on a 10k-note database.

1. Time to first window: a fresh process opens the main window on an indexed 10k-note
   database and paints it (target < 2 s). Baseline, same run: a fresh process that shows an
   empty QMainWindow (what Qt itself costs).
2. Click to walk: walking to a note at depth 2 with a cap of 200 nodes, including layout and
   drawing (target < 100 ms, median over 30 notes). Baseline, same run: the graph query alone.

    python benchmarks/bench_ui.py [--notes 10000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

FIRST_WINDOW = """
import sys, time
started = time.perf_counter()
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication{extra_import}
app = QApplication(sys.argv[:1])
{make_window}
window.show()
app.processEvents()
print(time.perf_counter() - started)
"""
APP_WINDOW = ("from pathlib import Path\n"
              "settings = QSettings(sys.argv[3], QSettings.Format.IniFormat)\n"
              "window = MainWindow(Path(sys.argv[1]), Path(sys.argv[2]), settings)")
EMPTY_WINDOW = "from PySide6.QtWidgets import QMainWindow\nwindow = QMainWindow(); window.resize(1400, 860)"


def first_window_seconds(code: str, *args: str) -> float:
    """Wall time of a fresh interpreter from start to the first painted window (median of 3)."""
    times = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def ensure_database(n: int, workdir: Path) -> tuple[Path, Path]:
    from make_corpus import write_corpus

    from notesgraph.indexer import index_folder
    from notesgraph.store import Store

    corpus, db = workdir / f"corpus-{n}", workdir / f"ui-{n}.db"
    if not corpus.exists():
        write_corpus(n, corpus, seed=0)
    with Store(db) as store:
        index_folder(store, corpus)
    return corpus, db


def walk_times(db: Path, corpus: Path, samples: int = 30) -> tuple[float, float]:
    """Median ms of (walk incl. layout and drawing, graph query alone) at depth 2, cap 200."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from notesgraph.graph_queries import neighbourhood
    from notesgraph.ui import graph_bridge
    from notesgraph.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(db.with_suffix(".ini")), QSettings.Format.IniFormat)
    window = MainWindow(db, corpus, settings)
    window.show()
    window.graph = graph_bridge.build(window.store)
    window.depth.setValue(2)
    window.cap = 200
    notes = sorted(n for n in window.graph.nodes if n.startswith("note:"))
    chosen = random.Random(0).sample(notes, samples)
    walks, queries = [], []
    for item in chosen:
        started = time.perf_counter()
        neighbourhood(window.graph, item, 2, max_nodes=200)
        queries.append(time.perf_counter() - started)
        started = time.perf_counter()
        window.walk(item)
        window.cap = 200
        window.view.finish_animation()
        app.processEvents()
        walks.append(time.perf_counter() - started)
    window.close()
    return statistics.median(walks) * 1000, statistics.median(queries) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the corpus and database here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        corpus, db = ensure_database(args.notes, workdir)
        app_code = FIRST_WINDOW.format(extra_import="\nfrom notesgraph.ui.main_window import MainWindow",
                                       make_window=APP_WINDOW)
        empty_code = FIRST_WINDOW.format(extra_import="", make_window=EMPTY_WINDOW)
        app_s = first_window_seconds(app_code, str(db), str(corpus), str(workdir / "bench.ini"))
        empty_s = first_window_seconds(empty_code)
        walk_ms, query_ms = walk_times(db, corpus)
        print("| measure (10k-note database, offscreen) | notesgraph | baseline in the same run | ratio | target |")
        print("| --- | ---: | ---: | ---: | --- |")
        print(f"| time to first window ({args.notes:,} notes) | {app_s:.2f} s | {empty_s:.2f} s "
              f"(empty Qt window) | {app_s / empty_s:.1f}x | < 2 s |")
        print(f"| click to walk, depth 2, cap 200 | {walk_ms:.1f} ms | {query_ms:.1f} ms "
              f"(graph query alone) | {walk_ms / query_ms:.1f}x | < 100 ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
