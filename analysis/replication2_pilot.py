"""Pilot of replication 2's few-shot learning rate on the official schedule (version 4's default).

M1 only, the quick design (8 prompts), k in {3, 10, 100}, seeds 100-102 (the protocol's are 0-7),
and RTE-lite pairs drawn with seed 1 (the protocol trains and tests on pairs of seed 0: no pair is
shared, one sentence of 500 is): nothing the verdicts are computed on is used to pick the rate.
Rule, fixed before the pilot: the rate with the highest mean over k of the instructive
templates' median final accuracy. Each rate's records are saved under OUT/lrRATE (a second call
reads them instead of training again); the pretrained base and M1 are cached in OUT/cache.
~2 min a rate on 2 cores, plus ~5 min to pretrain the base once.

    python analysis/replication2_pilot.py /tmp/pilot 3e-4,1e-3,1e-4,3e-5 [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import notesgraph.experiments.replication2.rte_lite as rte
from notesgraph.experiments.registry import PROMPT_SENSITIVITY
from notesgraph.experiments.replication2.prompt_sensitivity import load_records, run_condition, summary_results
from notesgraph.experiments.spec import Progress

PILOT_SEEDS = (100, 101, 102)
PILOT_SHOTS = "3,10,100"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("rates")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    protocol_pairs = rte.rte_lite_pairs
    rte.rte_lite_pairs = lambda seed, count: protocol_pairs(seed + 1, count)  # the pilot's own pairs
    found = {}
    for rate in (float(x) for x in args.rates.split(",")):
        folder = args.out / f"lr{rate}"
        started = time.monotonic()
        parameters = PROMPT_SENSITIVITY.resolve({"design": "quick", "shots": PILOT_SHOTS, "lr": str(rate)})
        done = load_records(folder, "M1")
        items = summary_results("M1", done) if done else run_condition("M1", parameters, PILOT_SEEDS, folder)
        rows = [item for item in items if not isinstance(item, Progress)]
        medians = {r.metric: r.value for r in rows if r.metric.startswith("median_final/category/instructive/")}
        found[rate] = {"instructive_median_final": medians,
                       "mean_over_k": sum(medians.values()) / len(medians),
                       "check_passed": any(r.metric == "check/passed" and r.value for r in rows),
                       "seconds": round(time.monotonic() - started, 1)}
    best = max(found, key=lambda rate: found[rate]["mean_over_k"])
    if args.json:
        print(json.dumps({"rates": found, "chosen": best}, indent=1))
        return
    for rate, row in found.items():
        cells = ", ".join(f"{k.rsplit('/', 1)[1]} {v:.0f}" for k, v in row["instructive_median_final"].items())
        print(f"lr {rate:g}: instructive median final {cells}; mean {row['mean_over_k']:.1f}; "
              f"template check {'passed' if row['check_passed'] else 'failed'}")
    print(f"chosen: {best:g}")


if __name__ == "__main__":
    main()
