"""Benchmark: indexing real Obsidian vaults against obsidiantools, in the same run.

For each dev vault (tests/data/vaults/, real public vaults; or the folders given):
  1. baseline: obsidiantools' `Vault(path).connect()` (parses every note, builds its link graph),
  2. notesgraph: `index_folder` into a fresh SQLite file, what `notesgraph index --no-embed`
     does (read, parse, claims, store, full-text index), opening the database included.
Each side runs `--repeat` times (median). obsidiantools crashes on an empty `{}` .canvas file,
so both sides read a copy of the vault without .canvas files. Goal: notesgraph at least 20x
faster on every vault.

    pip install -e '.[bench]'
    python benchmarks/bench_vault.py [VAULT ...] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from notesgraph.indexer import index_folder
from notesgraph.store import Store

DEV_VAULTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "vaults"


def copy_without_canvas(vault: Path, into: Path) -> Path:
    """A copy of `vault` without .canvas files (obsidiantools cannot read an empty one)."""
    target = into / vault.name
    shutil.copytree(vault, target, ignore=shutil.ignore_patterns("*.canvas"))
    return target


def obsidiantools_seconds(vault: Path) -> tuple[float, int]:
    """Seconds for obsidiantools to connect the vault, and the notes it found."""
    import obsidiantools.api as otools

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        connected = otools.Vault(vault).connect()
    return time.perf_counter() - started, len(connected.md_file_index)


def notesgraph_seconds(vault: Path, workdir: Path) -> tuple[float, int]:
    """Seconds for a full first index into a fresh database, and the notes indexed."""
    db = workdir / "bench-vault.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    with Store(db) as store:
        report = index_folder(store, vault)
    seconds = time.perf_counter() - started
    return seconds, report.added


def bench_vault(vault: Path, workdir: Path, repeat: int) -> dict[str, object]:
    copy = copy_without_canvas(vault, workdir)
    notesgraph_seconds(copy, workdir)  # warm the page cache and imports for both sides
    ours, baseline = [], []
    for _ in range(repeat):  # interleaved, so a change in machine load hits both sides
        seconds, notes = notesgraph_seconds(copy, workdir)
        ours.append(seconds)
        seconds, their_notes = obsidiantools_seconds(copy)
        baseline.append(seconds)
    ours_s, theirs_s = statistics.median(ours), statistics.median(baseline)
    return {"vault": vault.name, "notes": notes, "obsidiantools_notes": their_notes,
            "notesgraph_seconds": round(ours_s, 4), "obsidiantools_seconds": round(theirs_s, 4),
            "speedup": round(theirs_s / ours_s, 1), "repeat": repeat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vaults", nargs="*", type=Path, help="vault folders (default: the dev vaults)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; the median is kept")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    vaults = args.vaults or sorted(p for p in DEV_VAULTS.iterdir() if p.is_dir())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for vault in vaults:
            workdir = Path(tmp) / vault.name
            workdir.mkdir()
            results.append(bench_vault(vault.resolve(), workdir, args.repeat))
            if not args.json:
                r = results[-1]
                print(f"{r['vault']}: {r['notes']} notes, notesgraph {r['notesgraph_seconds']:.3f} s, "
                      f"obsidiantools {r['obsidiantools_seconds']:.2f} s: {r['speedup']}x", flush=True)
    if args.json:
        print(json.dumps({"benchmark": "vault_index", "goal_speedup": 20, "results": results}, indent=2))
    else:
        print("\n| vault | notes | notesgraph index --no-embed | obsidiantools connect() | speedup (goal >= 20x) |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for r in results:
            print(f"| {r['vault']} | {r['notes']} | {r['notesgraph_seconds'] * 1000:.0f} ms | "
                  f"{r['obsidiantools_seconds']:.2f} s | {r['speedup']}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
