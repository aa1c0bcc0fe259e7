"""RTE-lite: the pairs use only lexicon words, are balanced, and word overlap cannot solve them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.optimize import minimize

from notesgraph.experiments.shared.lexicon import HYPERNYMS, vocabulary
from notesgraph.experiments.replication2.rte_lite import (ENTAILING_KINDS, NOT_ENTAILING_KINDS, RTE_WORDS, overlap_features,
                                             overlap_profile, rte_lite_pairs, split_pairs)


@pytest.fixture(scope="module")
def pairs():
    return rte_lite_pairs(seed=0, size=2400)


def test_every_word_is_in_the_vocabulary(pairs) -> None:
    known = set(vocabulary(RTE_WORDS))
    used = {w for pair in pairs for w in (*pair.premise.words, *pair.hypothesis.words)}
    assert used <= known


def test_pairs_are_balanced_distinct_and_deterministic(pairs) -> None:
    assert len(pairs) == 2400
    assert sum(pair.entailed for pair in pairs) == 1200
    assert len({(p.premise.words, p.hypothesis.words) for p in pairs}) == len(pairs)
    again = rte_lite_pairs(seed=0, size=200)
    assert again == rte_lite_pairs(seed=0, size=200)
    assert again != rte_lite_pairs(seed=1, size=200)


def test_labels_follow_the_edits(pairs) -> None:
    for pair in pairs:
        kinds = [change.split(":")[0] for change in pair.changes]
        deciding = [kind for kind in kinds if kind in NOT_ENTAILING_KINDS]
        assert len(deciding) == (0 if pair.entailed else 1), pair
        assert all(kind in ENTAILING_KINDS + NOT_ENTAILING_KINDS for kind in kinds)
        if pair.kind == "roles":
            assert pair.premise.verb != "meet"  # symmetric: a swap would still entail
            assert (pair.hypothesis.subject, pair.premise.topic) != (pair.premise.subject, "meeting")
        if "hypernym:object" in pair.changes or "drop:number" in pair.changes:
            assert not pair.premise.negated  # unsafe under negation
    shares = Counter(pair.kind for pair in pairs)
    assert all(shares[kind] >= 0.05 * len(pairs) for kind in ENTAILING_KINDS + NOT_ENTAILING_KINDS), shares


def test_examples_read_as_intended() -> None:
    examples = {pair.changes: (pair.premise.text, pair.hypothesis.text) for pair in rte_lite_pairs(3, 400)}
    premise, hypothesis = examples[("hypernym:subject",)]
    assert premise.split()[:2] == hypothesis.split()[:2]
    assert len(set(hypothesis.split()) - set(premise.split()) & set(HYPERNYMS.values())) == 1
    premise, hypothesis = examples[("drop:colour",)]
    assert len(hypothesis.split()) == len(premise.split()) - 1


def test_the_premise_keeps_its_attributes_for_relabelling(pairs) -> None:
    animal = Counter(pair.attribute("mentions_animal") for pair in pairs)
    assert set(animal) == {"yes", "no"} and min(animal.values()) > 0.25 * len(pairs)
    assert {pair.attribute("topic") for pair in pairs} >= {"food", "meeting"}


def test_lexical_cues_are_balanced(pairs) -> None:
    """Beyond overlap: a broader term introduced by the hypothesis, a negated premise and each
    meeting verb occur equally often in both classes (they are part of the matching key)."""
    broader = set(HYPERNYMS.values())
    for cue in (lambda p: bool(set(p.hypothesis.words) - set(p.premise.words) & broader),
                lambda p: p.premise.negated, lambda p: p.premise.verb == "meet",
                lambda p: p.premise.topic == "meeting"):
        assert sum(cue(p) for p in pairs if p.entailed) == sum(cue(p) for p in pairs if not p.entailed)


def test_split_is_balanced_and_disjoint(pairs) -> None:
    train, test = split_pairs(pairs, 600, seed=0)
    assert len(test) == 600 and sum(p.entailed for p in test) == 300
    assert len(train) + len(test) == len(pairs)
    assert not {id(p) for p in train} & {id(p) for p in test}


def _logistic_accuracy(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> float:
    """A lightly L2-regularised logistic regression, fitted with BFGS on standardised features."""
    mean, std = x_train.mean(0), x_train.std(0) + 1e-9
    a = np.c_[np.ones(len(x_train)), (x_train - mean) / std]
    b = np.c_[np.ones(len(x_test)), (x_test - mean) / std]

    def loss(w: np.ndarray) -> float:
        z = a @ w
        return float(np.mean(np.logaddexp(0, z) - y_train * z) + 1e-3 * w[1:] @ w[1:])

    w = minimize(loss, np.zeros(a.shape[1]), method="BFGS").x
    return float(np.mean((b @ w > 0) == y_test))


def test_shortcut_guard_word_overlap_scores_at_most_60_percent(pairs) -> None:
    """The issue's guard: overlap-only classifiers fitted on a train split stay <= 60% held out."""
    train, test = split_pairs(pairs, 800, seed=0)
    x_train = np.array([overlap_features(p) for p in train])
    x_test = np.array([overlap_features(p) for p in test])
    y_train = np.array([p.entailed for p in train], dtype=float)
    y_test = np.array([p.entailed for p in test], dtype=float)
    # logistic regression on the four features, and on them with their pairwise products
    assert _logistic_accuracy(x_train, y_train, x_test, y_test) <= 0.60
    products = lambda x: np.c_[x, np.einsum("ni,nj->nij", x, x).reshape(len(x), -1)]  # noqa: E731
    assert _logistic_accuracy(products(x_train), y_train, products(x_test), y_test) <= 0.60
    # the best single-feature threshold (either direction), chosen on train
    best = 0.0
    for j in range(x_train.shape[1]):
        for cut in np.unique(x_train[:, j]):
            for sign in (1, -1):
                train_acc = np.mean((sign * (x_train[:, j] - cut) > 0) == y_train)
                if train_acc > best:
                    best, rule = train_acc, (j, cut, sign)
    j, cut, sign = rule
    assert np.mean((sign * (x_test[:, j] - cut) > 0) == y_test) <= 0.60
    # the strongest overlap-only rule: the majority label of each exact overlap profile
    votes: dict[tuple[int, ...], list[float]] = {}
    for pair, label in zip(train, y_train):
        votes.setdefault(overlap_profile(pair.premise.words, pair.hypothesis.words), []).append(label)
    guesses = [np.mean(votes.get(overlap_profile(p.premise.words, p.hypothesis.words), [0.5])) > 0.5 for p in test]
    assert np.mean(np.array(guesses) == y_test) <= 0.60
