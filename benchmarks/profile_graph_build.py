"""Where the compact graph build spends its time: cProfile of `build_compact` on an indexed
store, cumulative seconds of its phases (profiler overhead included, so they sum to more
than a plain build's wall time). Usage: python benchmarks/profile_graph_build.py DB [--json]"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys

from notesgraph.graph_compact_build import build_compact
from notesgraph.store import Store

# (label, file suffix, function name) of the phases reported
PHASES = [
    ("whole build", "graph_compact_build.py", "build_compact"),
    ("SQLite rows handed over (fetchall + fetchmany)", "~", "<method 'fetchall' of 'sqlite3.Cursor' objects>"),
    ("", "~", "<method 'fetchmany' of 'sqlite3.Cursor' objects>"),
    ("link arrays (note_inquiries, note_papers)", "store/__init__.py", "graph_link_arrays"),
    ("claim block", "store/__init__.py", "graph_claim_block"),
    ("_add_rows: nodes, links resolved", "graph.py", "_add_rows"),
    ("edge tables from collected edges", "graph_compact_build.py", "_table"),
    ("node ids, index (CompactGraph.__init__)", "graph_compact.py", "__init__"),
    ("ranking (set_tables)", "graph_compact.py", "set_tables"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with Store(args.db) as store:
        profile = cProfile.Profile()
        profile.runcall(build_compact, store)
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for (filename, _, name), (_, _, _, cumulative, _) in stats.items():
        for label, suffix, function in PHASES:
            if name == function and (suffix == "~" and filename == "~" or filename.endswith(suffix)):
                key = label or "SQLite rows handed over (fetchall + fetchmany)"
                found[key] = found.get(key, 0.0) + cumulative
    if args.json:
        print(json.dumps({"benchmark": "profile_graph_build", "db": args.db, "seconds": found}, indent=1))
    else:
        for label, seconds in found.items():
            print(f"{seconds:7.1f} s  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
