"""Measurement: does a paper's abstract (from the user's library) bring our ranking of a note's
papers closer to the note's own order?

For each bundled note, `Similarity.paper_ranking` ranks the papers the note lists by the cosine
between the paper's vector and the note's best-matching passage, and Spearman's rho compares
that with the note's order. Two conditions in one run, on the same notes and model:
  titles     a paper's vector is its title (no library: what notesgraph did before)
  abstracts  after `notesgraph library import notes/library.bib`: title + abstract
Then the paired difference per note, with a Wilcoxon signed-rank test over the notes (two-sided;
a verdict only at p < 0.05, else "inconclusive").

Caveats, written into the output too: the abstracts in notes/library.bib are one-sentence
summaries written for notesgraph, partly by someone who had read these notes (they can share
the notes' wording: a favourable bias); the export-format notes' own order is the seed site's
cosine ranking from its own (unknown) text, the Markdown notes' order is their author's.

    python benchmarks/paper_ranking.py [--json] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from notesgraph.embeddings import Encoder, embed_store  # noqa: E402
from notesgraph.indexer import index_folder  # noqa: E402
from notesgraph.library import import_library  # noqa: E402
from notesgraph.similarity import Similarity  # noqa: E402
from notesgraph.store import Store  # noqa: E402

NOTES = ROOT / "notes"


def rankings(store: Store) -> dict[str, dict]:
    """title -> {papers, ranked, spearman} for every note that lists papers."""
    similarity = Similarity(store)
    out = {}
    for note in store.note_titles():
        if not store.note(note["id"])["papers"]:
            continue
        ranking = similarity.paper_ranking(note["id"])
        out[note["title"]] = {"papers": len(ranking.papers),
                              "ranked": sum(p.our_rank is not None for p in ranking.papers),
                              "spearman": ranking.spearman}
    return out


def measure(workdir: Path) -> dict:
    encoder = Encoder()
    with Store(workdir / "ranking.db") as store:
        index_folder(store, NOTES)
        started = time.perf_counter()
        embed_store(store, encoder)
        titles = rankings(store)
        report = import_library(store, NOTES / "library.bib")
        embedded = embed_store(store, encoder)  # only the papers whose text changed
        abstracts = rankings(store)
        with_abstract = store.db.execute("SELECT count(*) FROM paper_entries WHERE abstract != ''").fetchone()[0]
        seconds = time.perf_counter() - started
    rows = []
    for title, before in titles.items():
        after = abstracts[title]
        rows.append({"note": title, "papers": before["papers"], "titles": before["spearman"],
                     "abstracts": after["spearman"],
                     "difference": None if None in (before["spearman"], after["spearman"])
                     else round(after["spearman"] - before["spearman"], 4)})
    paired = [r for r in rows if r["difference"] is not None]
    from scipy.stats import wilcoxon

    differences = [r["difference"] for r in paired]
    test = wilcoxon(differences) if any(differences) else None
    p_value = None if test is None else float(test.pvalue)
    better = sum(d > 0 for d in differences)
    verdict = "inconclusive"
    if p_value is not None and p_value < 0.05:
        verdict = "abstracts rank closer to the notes' order" if statistics.mean(differences) > 0 else \
            "abstracts rank further from the notes' order"
    return {
        "notes": rows,
        "mean_titles": round(statistics.mean(r["titles"] for r in paired), 4),
        "mean_abstracts": round(statistics.mean(r["abstracts"] for r in paired), 4),
        "mean_difference": round(statistics.mean(differences), 4),
        "better": better, "worse": sum(d < 0 for d in differences), "paired_notes": len(paired),
        "wilcoxon_p": None if p_value is None else round(p_value, 4), "verdict": verdict,
        "library": {"entries": len(report.matches), "matched": report.matched, "with_abstract": with_abstract,
                    "passages_embedded_after_import": embedded.embedded},
        "model": encoder.model_id, "seconds": round(seconds, 1),
        "environment": {"python": platform.python_version(), "machine": platform.machine(),
                        "threads": os.environ.get("OMP_NUM_THREADS", "")},
        "caveat": "abstracts are one-sentence summaries written for notesgraph by someone who had read "
                  "these notes; export notes' order is the seed site's own cosine ranking",
    }


def print_table(result: dict) -> None:
    print("| note | papers | Spearman, titles | Spearman, titles + abstracts | change |")
    print("|---|---:|---:|---:|---:|")
    for row in result["notes"]:
        cells = [f"{row[k]:+.2f}" if row[k] is not None else "n/a" for k in ("titles", "abstracts", "difference")]
        print(f"| {row['note']} | {row['papers']} | " + " | ".join(cells) + " |")
    print(f"| **mean over {result['paired_notes']} notes** | | {result['mean_titles']:+.2f} | "
          f"{result['mean_abstracts']:+.2f} | {result['mean_difference']:+.2f} |")
    print(f"\ncloser in {result['better']} notes, further in {result['worse']}; Wilcoxon signed-rank "
          f"p = {result['wilcoxon_p']}; verdict: {result['verdict']} ({result['seconds']} s, {result['model']})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--out", type=Path, help="also write the JSON result here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        result = measure(Path(workdir))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
