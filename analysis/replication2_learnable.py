"""Can replication 2's M1 learn RTE-lite at all, given far more than the protocol's k <= 100?

Fine-tunes M1 (as the protocol builds it) with the instructive `inst_imply` template and yes/no
targets on N training pairs for up to E epochs at the given rate (batch 5, the protocol's
classifier), and scores 100 held-out pairs and the training pairs after epochs 1, 3, 10, 20, ...
Pairs are drawn with seed 1 (not the protocol's): the held-out 100 are the pilot's (kept out of the
base model's relation statements), training pairs share no sentence with them. Each (N, rate)
starts from M1's weights.
Cost: ~80 s for 400 pairs x 60 epochs on 2 cores.

    python analysis/replication2_learnable.py CACHE_RUN_FOLDER --pairs 400,1600 --rates 1e-3 [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np

from notesgraph.experiments.replication2.prompt_sensitivity import build_model
from notesgraph.experiments.replication2.prompt_templates import TEMPLATES
from notesgraph.experiments.replication2.reader_prompt import ReaderPromptClassifier
from notesgraph.experiments.registry import PROMPT_SENSITIVITY
from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs, split_pairs
from notesgraph.experiments.spec import Progress

SCORED = (1, 3, 10, 20, 40, 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a run folder; the base and M1 are cached beside it")
    parser.add_argument("--pairs", default="400")
    parser.add_argument("--rates", default="1e-3")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    parameters = PROMPT_SENSITIVITY.resolve()
    template = next(t for t in TEMPLATES if t.name == "inst_imply")
    rows = []
    pilot_pairs = rte_lite_pairs(1, 500)  # the pilot's pairs: its cached base and M1 kept them out of pretraining
    built = [item for item in build_model("M1", parameters, args.folder, pilot_pairs) if not isinstance(item, Progress)]
    model, vocab = built[-1]
    start = copy.deepcopy(model.state_dict())
    _, test = split_pairs(pilot_pairs, 100, 0)
    taken = {s.words for p in test for s in (p.premise, p.hypothesis)}
    for size in (int(x) for x in args.pairs.split(",")):
        more = [p for p in rte_lite_pairs(1, 2 * size + 400)
                if p.premise.words not in taken and p.hypothesis.words not in taken]
        if len(more) < size:
            raise SystemExit(f"only {len(more)} training pairs share no sentence with the held-out ones")
        train = more[:size]
        texts = lambda ps: [template.fill(" ".join(p.premise.words), " ".join(p.hypothesis.words), "") for p in ps]  # noqa: E731
        labels = lambda ps: np.array([0 if p.entailed else 1 for p in ps])  # noqa: E731
        for rate in (float(x) for x in args.rates.split(",")):
            model.load_state_dict(start)
            classifier = ReaderPromptClassifier(model, vocab, rate, 5)
            classifier.reset(0)
            curve: dict[int, tuple[float, float]] = {}
            started = time.monotonic()

            def on_epoch(epoch: int) -> None:
                if epoch in SCORED:
                    accuracy = lambda ps: float(np.mean(classifier.predict(texts(ps), ("yes", "no")) == labels(ps)))  # noqa: E731
                    curve[epoch] = (100 * accuracy(test), 100 * accuracy(train))
                    classifier.model.train()

            classifier.fit(texts(train), list(labels(train)), ("yes", "no"), args.epochs, on_epoch)
            rows.append({"pairs": size, "rate": rate, "seconds": round(time.monotonic() - started, 1),
                         "held_out_and_train_accuracy_by_epoch": curve})
            if not args.json:
                cells = " | ".join(f"epoch {e}: held-out {t:.0f}%, train {r:.0f}%" for e, (t, r) in curve.items())
                print(f"{size} pairs, lr {rate:g} ({rows[-1]['seconds']:.0f} s): {cells}", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
