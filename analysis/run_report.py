"""Redraw a recorded run's report.md and results.png from its stored result rows with the
current code (`runner.redraw`: a report's layout changed after the run; the numbers are the run's).

    python analysis/run_report.py DB RUN_ID OUT_FOLDER
"""

from __future__ import annotations

import argparse
from pathlib import Path

from notesgraph.experiments.runner import redraw
from notesgraph.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("run_id", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    with Store(args.db) as store:
        redraw(store, args.run_id, args.out)
    print(args.out / "report.md")


if __name__ == "__main__":
    main()
