"""RTE-lite: rule-built premise/hypothesis pairs from the bundled word world (replication 2).

Webson & Pavlick (2022) fine-tune prompt-based models on RTE. Our models read only the closed
vocabulary of `lexicon`, so the pairs are built from its sentences by a few edits whose effect on
entailment is known:

- entailing edits: a broader term (the dog -> the animal; an object -> food, vehicle, song) and a
  dropped modifier (the colour, or the "<number> times" phrase);
- not-entailing edits: a swapped sibling term (dog -> cat, bread -> soup) or the other category's
  broader term (dog -> person), negation added or removed, swapped roles (meeting topic only, and
  never with the symmetric verb "meet").

An entailed hypothesis applies one or more entailing edits; a not-entailed one applies exactly
one not-entailing edit plus, drawn from the same distribution, any entailing edits. Edits that
would be unsafe under negation (a broader object, a dropped number phrase: "did not eat the cake
two times" does not entail "did not eat the cake") are applied only to positive premises.

**Shortcut guard.** Word overlap alone must not give the label away (the issue asks for <= 60%
for an overlap-only classifier). Every overlap feature of a pair (|H-P|, |P-H|, Jaccard, length
difference) is a function of its *overlap profile* (`overlap_profile`), so pairs are emitted in
matched couples: an entailed and a not-entailed pair with the same profile. Within a profile the
label is then a coin flip for any overlap-only classifier (held out: 47-50% measured). Couples
also share a negated premise, the meeting verb and whether a broader term is introduced, so
those are no cue; a hypothesis-only bag-of-words logistic regression still reaches about 57-60%
(entailed hypotheses keep their colour less often). Not-entailed pairs come out about 58%
sibling, 25% role swaps, 17% negation. Cost: about 6 candidates per kept pair, O(size); 2,000
pairs take about a second.

All words come from `lexicon.vocabulary()`; `RTE_WORDS` (empty) is where extra words would go.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from notesgraph.experiments.shared.lexicon import (ANIMALS, COLOURS, HYPERNYMS, NUMBERS, PEOPLE, SENTIMENT_WORDS, TENSES,
                                            TOPICS, Sentence, make_sentence)

__all__ = ["ENTAILING_KINDS", "NOT_ENTAILING_KINDS", "RTE_WORDS", "RtePair", "overlap_features",
           "overlap_profile", "rte_lite_pairs", "split_pairs"]

RTE_WORDS: tuple[str, ...] = ()
"""Words the pairs use beyond `lexicon.vocabulary()`: none (every edit reuses lexicon words)."""

ENTAILING_KINDS = ("hypernym", "drop")
NOT_ENTAILING_KINDS = ("sibling", "negation", "roles")

_ASYMMETRIC_MEETING_VERBS = ("help", "follow", "visit")  # "meet" is symmetric: a swap would entail
_NOT_ENTAILING_WEIGHTS = (0.2, 0.5, 0.3)
"""sibling, negation, roles: siblings match entailed profiles most easily, so they are drawn
least often to keep the three kinds in similar shares after matching."""
_ENTAILING_RATE, _ENTAILING_RATE_WITH_NOT = 0.5, 0.6
"""How often each applicable entailing edit is applied; more often beside a not-entailing edit,
since entailed hypotheses need at least one: this evens out how often a hypothesis keeps its
colour or gains a broader term in the two classes (a hypothesis-only cue otherwise)."""
_NOT_ENTAILING_CUMULATIVE = np.cumsum(_NOT_ENTAILING_WEIGHTS)[:-1]
_OTHER_TOPICS = tuple(t for t in TOPICS if t != "meeting")
_BROADER_TERMS = frozenset(HYPERNYMS.values())
_OTHER_CATEGORY = {"animal": "person", "person": "animal"}


@dataclass(frozen=True)
class RtePair:
    """A premise, a hypothesis built from it by `changes`, and whether the premise entails it.

    The premise keeps every lexicon attribute (`pair.premise.mentions_animal`, `.topic`, ...), so
    the same pairs can be relabelled by another attribute for the template check."""

    premise: Sentence
    hypothesis: Sentence
    entailed: bool
    changes: tuple[str, ...]
    """the edits in the order applied, e.g. ('sibling:subject', 'drop:colour')"""

    @property
    def kind(self) -> str:
        """The edit that decides the label: the not-entailing one if any, else the first."""
        kinds = [change.split(":")[0] for change in self.changes]
        return next((kind for kind in kinds if kind in NOT_ENTAILING_KINDS), kinds[0])

    def attribute(self, name: str) -> str:
        """The premise's attribute `name` ('yes'/'no' for booleans), for relabelling the pairs."""
        return self.premise.attribute(name)


def overlap_profile(premise: Sequence[str], hypothesis: Sequence[str]) -> tuple[int, int, int, int, int, int]:
    """(|H-P|, |P-H|, |P|, |H|) over word sets, then both lengths in tokens: everything a
    word-overlap classifier can see. O(len)."""
    p, h = set(premise), set(hypothesis)
    return len(h - p), len(p - h), len(p), len(h), len(premise), len(hypothesis)


def overlap_features(pair: RtePair) -> np.ndarray:
    """[|H-P|, |P-H|, Jaccard, len(H) - len(P)] for one pair: the usual overlap-only baseline
    features (Jaccard and the set sizes over word sets, the difference in tokens)."""
    p, h = set(pair.premise.words), set(pair.hypothesis.words)
    return np.array([len(h - p), len(p - h), len(p & h) / len(p | h),
                     len(pair.hypothesis.words) - len(pair.premise.words)], dtype=float)


def _parts(sentence: Sentence) -> dict[str, object]:
    return {"subject": sentence.subject, "verb": sentence.verb, "obj": sentence.object, "mood": sentence.mood,
            "tense": sentence.tense, "negated": sentence.negated, "colour": sentence.colour,
            "number": sentence.number}


def _group(word: str, topic: str) -> tuple[str, ...]:
    """The words that are siblings of `word` (same category; an object's topic group)."""
    if word in PEOPLE:
        return PEOPLE
    if word in ANIMALS:
        return ANIMALS
    hypernym = HYPERNYMS.get(word)
    if hypernym is not None:
        return tuple(w for w, h in HYPERNYMS.items() if h == hypernym)
    return TOPICS[topic][1]


def _not_entailing(premise: Sentence, kind: str, rng: np.random.Generator,
                   parts: dict[str, object]) -> tuple[str, set[str]] | None:
    """Apply one not-entailing edit of `kind` to `parts`; return its name and the slots it used,
    or None when it does not apply to this premise."""
    if kind == "negation":
        parts["negated"] = not premise.negated
        return "negation:" + ("removed" if premise.negated else "added"), set()
    if kind == "roles":
        if premise.topic != "meeting" or premise.verb not in _ASYMMETRIC_MEETING_VERBS:
            return None
        parts["subject"], parts["obj"] = premise.object, premise.subject
        return "roles:swapped", {"subject", "obj"}
    slot = _pick(rng, ("subject", "obj"))
    word = str(parts[slot])
    if slot == "subject" or premise.topic == "meeting":
        if rng.random() < 0.5:  # the other category's broader term: dog -> person
            parts[slot] = _OTHER_CATEGORY[HYPERNYMS[word]]
            return f"sibling:{'object' if slot == 'obj' else slot}:category", {slot}
    options = [w for w in _group(word, premise.topic) if w not in premise.words]
    if not options:
        return None
    parts[slot] = _pick(rng, options)
    return f"sibling:{'object' if slot == 'obj' else slot}", {slot}


def _entailing(premise: Sentence, rng: np.random.Generator, parts: dict[str, object], used: set[str],
               at_least_one: bool, rate: float) -> list[str]:
    """Apply each applicable entailing edit with probability `rate` (at least one if asked);
    return their names. Object hypernyms and dropped number phrases need a positive premise."""
    options: list[str] = []
    if "subject" not in used and parts["subject"] in HYPERNYMS:
        options.append("hypernym:subject")
    if "obj" not in used and parts["obj"] in HYPERNYMS and not premise.negated:
        options.append("hypernym:object")
    if parts["colour"] is not None:
        options.append("drop:colour")
    if parts["number"] is not None and not premise.negated:
        options.append("drop:number")
    chosen = [option for option in options if rng.random() < rate]
    if at_least_one and not chosen and options:
        chosen = [_pick(rng, options)]
    for change in chosen:
        if change == "hypernym:subject":
            parts["subject"] = HYPERNYMS[str(parts["subject"])]
        elif change == "hypernym:object":
            parts["obj"] = HYPERNYMS[str(parts["obj"])]
        elif change == "drop:colour":
            parts["colour"] = None
        else:
            parts["number"] = None
    return chosen


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    """One of `options`, uniformly (rng.choice on a list costs ~50x more)."""
    return options[int(rng.random() * len(options))]


def _random_premise(rng: np.random.Generator, topic: str | None = None) -> Sentence:
    """A premise drawn like `lexicon.random_sentence`, but the meeting topic a third of the time
    (role swaps need it) and the other topics evenly otherwise; the same distribution for both
    labels, so topic is no cue."""
    if topic is None:
        topic = "meeting" if rng.random() < 1 / 3 else _pick(rng, _OTHER_TOPICS)
    verbs, objects = TOPICS[topic]
    subject = _pick(rng, PEOPLE + ANIMALS)
    obj = _pick(rng, [o for o in objects if o != subject])
    mood = _pick(rng, SENTIMENT_WORDS[_pick(rng, ("positive", "negative"))])
    return make_sentence(subject, _pick(rng, verbs), obj, mood=mood, tense=_pick(rng, TENSES),
                         negated=bool(rng.random() < 0.5),
                         colour=_pick(rng, COLOURS) if rng.random() < 0.5 else None,
                         number=_pick(rng, NUMBERS) if rng.random() < 0.5 else None)


def _candidate(rng: np.random.Generator, entailed: bool) -> RtePair | None:
    kind = NOT_ENTAILING_KINDS[int(np.searchsorted(_NOT_ENTAILING_CUMULATIVE, rng.random()))]
    premise = _random_premise(rng)
    if not entailed and kind == "roles":
        while premise.verb not in _ASYMMETRIC_MEETING_VERBS:
            premise = _random_premise(rng, "meeting")
    parts = _parts(premise)
    changes: list[str] = []
    used: set[str] = set()
    if not entailed:
        done = _not_entailing(premise, kind, rng, parts)
        if done is None:
            return None
        changes.append(done[0])
        used = done[1]
    changes += _entailing(premise, rng, parts, used, at_least_one=entailed,
                          rate=_ENTAILING_RATE if entailed else _ENTAILING_RATE_WITH_NOT)
    if not changes:
        return None
    subject, verb, obj = str(parts.pop("subject")), str(parts.pop("verb")), str(parts.pop("obj"))
    hypothesis = make_sentence(subject, verb, obj, **parts)  # type: ignore[arg-type]
    if hypothesis.words == premise.words or subject == obj:
        return None
    return RtePair(premise, hypothesis, entailed, tuple(changes))


def _matching_key(pair: RtePair) -> tuple[object, ...]:
    """What the two pairs of a couple share: the overlap profile, and lexical cues a
    bag-of-words model could otherwise use: a negated premise, the meeting verb (role swaps need
    an asymmetric one) and whether the hypothesis introduces a broader term. (Matching on more
    cues, e.g. which broader term or whether a colour is left, leaves no negation or plain
    sibling pairs at all.)"""
    premise, hypothesis = pair.premise, pair.hypothesis
    introduced = bool(set(hypothesis.words) - set(premise.words) & _BROADER_TERMS)
    return (*overlap_profile(premise.words, hypothesis.words), premise.negated,
            premise.verb if premise.topic == "meeting" else "", introduced)


def rte_lite_pairs(seed: int, size: int) -> list[RtePair]:
    """`size` distinct pairs (rounded down to even), half entailed, shuffled; deterministic for
    the seed. Pairs are kept in couples with equal overlap profiles (see the module docstring),
    so no overlap-only classifier beats chance in expectation. O(size).

    Raises ValueError when the word world cannot supply that many distinct pairs."""
    rng = np.random.default_rng([seed, 31337])
    waiting: dict[tuple[object, ...], tuple[deque[RtePair], deque[RtePair]]] = defaultdict(
        lambda: (deque(), deque()))
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    pairs: list[RtePair] = []
    attempts = 0
    while len(pairs) < size - 1:
        attempts += 1
        if attempts > 100 * size + 10_000:
            raise ValueError(f"could only build {len(pairs)} of {size} RTE-lite pairs; ask for fewer")
        pair = _candidate(rng, entailed=bool(attempts % 2))
        if pair is None or (pair.premise.words, pair.hypothesis.words) in seen:
            continue
        seen.add((pair.premise.words, pair.hypothesis.words))
        queues = waiting[_matching_key(pair)]
        queues[int(pair.entailed)].append(pair)
        if queues[0] and queues[1]:
            pairs += [queues[1].popleft(), queues[0].popleft()]
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order]


def split_pairs(pairs: Sequence[RtePair], n_test: int, seed: int) -> tuple[list[RtePair], list[RtePair]]:
    """(train, test): a seeded split with exactly half of `n_test` (rounded down to even)
    entailed, so held-out accuracy has a chance level of exactly 50%."""
    rng = np.random.default_rng([seed, 271828])
    by_label = [[p for p in pairs if p.entailed == label] for label in (True, False)]
    test: list[RtePair] = []
    train: list[RtePair] = []
    for group in by_label:
        order = rng.permutation(len(group))
        test += [group[i] for i in order[: n_test // 2]]
        train += [group[i] for i in order[n_test // 2:]]
    return ([train[i] for i in rng.permutation(len(train))], [test[i] for i in rng.permutation(len(test))])
