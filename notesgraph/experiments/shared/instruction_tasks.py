"""The synthetic task suite of replication 1: definitions, label sets, demonstrations, instances.

Every task draws on the same generated sentences (lexicon.py), so only its definition says
which attribute is asked and which label means what. A definition is a *frame* ("answer {A} if
the sentence {P} , otherwise answer {B}") filled with *predicates* ("mentions an animal"); both
come in two disjoint sets of wordings, *pretraining* and *new*, so held-out tasks can be
reported in two groups: written in wordings the model has read, or in wordings it never saw.

Tasks are LI (label names describe the classes: topic names, positive/negative, past/present/
future, person/animal) or DR (definition required: yes/no questions, symbols, flipped labels).
Prompts are word lists; the model (reader_model.py) turns them into ids and knows which
positions are label *slots* because the builder records them, never by searching for strings.

The suite is a pure function of its seed; cost O(tasks x instances).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from notesgraph.experiments.shared.lexicon import (ANIMALS, HYPERNYMS, PEOPLE, Sentence, TOPICS, sentence_pool,
                                            with_changes)

__all__ = ["ATTRIBUTES", "HELD_OUT_ATTRIBUTE", "LABEL_WORDS", "Prompt", "Task", "TaskSuite", "build_suite", "make_task",
           "definition_text", "definition_words", "pretraining_prompt", "task_demonstrations", "task_prompt"]

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "topic": tuple(TOPICS),
    "sentiment": ("positive", "negative"),
    "tense": ("past", "present", "future"),
    "negated": ("yes", "no"),
    "mentions_animal": ("yes", "no"),
    "mentions_colour": ("yes", "no"),
    "mentions_number": ("yes", "no"),
    "subject_kind": ("person", "animal"),
}
"""attribute -> its values (Sentence.attribute's strings); the first value of a yes/no attribute is 'yes'."""
HELD_OUT_ATTRIBUTE = "mentions_number"
"""Never asked in pretraining nor in instruction tuning: held-out tasks on it show whether an
ability transfers to an attribute the model was never asked about."""

# (attribute, value) -> predicate wordings: the first half are pretraining wordings, the rest new.
PREDICATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("mentions_animal", "yes"): ("mentions an animal", "names an animal", "talks about an animal",
                                 "has an animal in it", "refers to a creature", "contains some beast",
                                 "features a living creature", "includes an animal word"),
    ("mentions_colour", "yes"): ("mentions a colour", "names a colour", "has a colour in it", "uses a colour word",
                                 "says what colour something is", "contains a shade", "includes a hue",
                                 "refers to a colour"),
    ("mentions_number", "yes"): ("mentions a number", "contains a number", "says how many times",
                                 "has a number in it", "includes a count", "names a quantity",
                                 "uses a number word", "refers to an amount"),
    ("negated", "yes"): ("is negated", "contains a negation", "says something did not happen", "uses the word not",
                         "denies an action", "is a negative statement", "states that nothing was done",
                         "has a not in it"),
    ("sentiment", "positive"): ("sounds happy", "has a positive mood", "describes someone in a good mood",
                                "is cheerful", "expresses joy", "shows a pleased subject", "feels upbeat",
                                "is in good spirits"),
    ("sentiment", "negative"): ("sounds sad", "has a negative mood", "describes someone in a bad mood",
                                "is gloomy", "expresses misery", "shows an unhappy subject", "feels down",
                                "is in low spirits"),
    ("tense", "past"): ("is in the past tense", "talks about the past", "describes something that already happened",
                        "is about yesterday", "refers to an earlier time", "tells of a finished event",
                        "happened before now", "uses a past verb"),
    ("tense", "present"): ("is in the present tense", "talks about now", "describes something that happens now",
                           "is about today", "refers to the current time", "tells of a habit",
                           "happens these days", "uses a present verb"),
    ("tense", "future"): ("is in the future tense", "talks about the future", "says what will happen",
                          "is about tomorrow", "refers to a later time", "tells of a coming event",
                          "happens later on", "uses the word will"),
    ("subject_kind", "animal"): ("has an animal as subject", "is about what an animal did",
                                 "has an animal doing something", "has a creature as its subject",
                                 "tells what some beast does", "has a non human subject",
                                 "puts an animal first", "is led by an animal"),
    ("subject_kind", "person"): ("has a person as subject", "is about what a person did",
                                 "has a person doing something", "has a human as its subject",
                                 "tells what somebody does", "has a human subject", "puts a person first",
                                 "is led by a person"),
}
for _topic in TOPICS:
    PREDICATES[("topic", _topic)] = tuple(f"{verb} {_topic}" for verb in (
        "is about", "talks about", "has to do with", "concerns", "deals with", "relates to", "discusses",
        "covers"))
PRETRAINING_WORDINGS = 4
"""The first this-many predicates (and frames) of each list are pretraining wordings."""

BINARY_FRAMES = (
    "answer {A} if the sentence {P} , otherwise answer {B}",
    "if the sentence {P} say {A} , else say {B}",
    "{A} means the sentence {P} and {B} means it does not",
    "say {B} unless the sentence {P} , then say {A}",
    "reply {A} when the sentence {P} ; reply {B} when it does not",
    "output {A} for a sentence that {P} and {B} for any other sentence",
    "the label is {A} when the text {P} , and {B} otherwise",
    "tag the text {A} if it {P} ; tag it {B} if not",
)
MULTI_FRAMES = (
    "answer {L} : {C}",
    "classify the sentence : {C} . use {L}",
    "say which holds : {C}",
    "pick the right label : {C}",
    "choose one : {C} . labels {L}",
    "which one fits ? {C}",
    "decide between {C}",
    "give the label : {C}",
)
"""{C} is the list of 'X if the sentence P' clauses, {L} the labels."""
SIMPLIFIED = "output one of : {L}"
SYMBOLS = tuple(f"@{a}{b}" for a in "ABCDEFGHJKMNPQRSTUVWXYZ" for b in "12345")[:100]
"""Arbitrary label tokens, drawn per example in pretraining and per task in instruction tuning."""
REPLICATION_2_TARGET_WORDS = ("yes", "no", "true", "false", "right", "wrong", "correct", "incorrect", "agree",
                              "disagree", "cat", "dog", "red", "blue", "umbrella", "pencil")
"""The target words of replication 2's version 2, frozen here: they are part of replication 1's
answer vocabulary, so replication 2's target sets can change without changing replication 1's
models (its own base model adds its new words)."""
REPLICATION_2_TEMPLATE_WORDS = (
    "a above ago agree an and animal annoying answer appear are as assume bad based be becomes blue boil can cat "
    "changes cities correct definitely description disagree do does dog english false family first fish flakes "
    "follow for found french gauss given grammatical have he if imply in incorrect infer inflections is it long "
    "longer lost many meaning mention most mountains next no of old on one only paraphrased pencil positive previous "
    "question quickly red results right said same sentence sentiment should similar single sports spring stock story "
    "strong summarised suppose than that the them there this too true umbrella using we weather words wrong years "
    "yes zoning").split()
"""The template words of replication 2's version 2, frozen for the same reason."""
LABEL_WORDS = tuple(dict.fromkeys(("yes", "no", "true", "false", "right", "wrong", *TOPICS, "positive", "negative",
                                   "past", "present", "future", "person", "animal", "happy", "sad", "good", "bad",
                                   "old", "new", "later", *SYMBOLS, *REPLICATION_2_TARGET_WORDS)))
"""Every label any task or pretraining example uses, and replication 2's version-2 target words:
the model's answer vocabulary (fixed before pretraining)."""
SEP = "[SEP]"
MAX_PROMPT_WORDS = 96
"""The reader's positions: a pretraining prompt that would be longer drops its demonstrations."""
RELABELLED_DEMONSTRATIONS = 0.25
"""Share of pretraining examples with demonstrations whose demonstrations are relabelled (each
to the next label of the bound set): the definition, not the demonstrations, stays decisive."""


@dataclass(frozen=True)
class Prompt:
    """A model input as words, with its label slots and the gold label.

    `slots` are (position, label) of every label token in the definition and the demonstrations'
    outputs; `slot_targets` are, for definition slots only, (position, attribute index, value index)
    that the slot stands for (the auxiliary loss); `sentence` is the input's attributes."""

    words: tuple[str, ...]
    slots: tuple[tuple[int, str], ...]
    gold: str
    input_span: tuple[int, int]
    sentence: Sentence | None = None
    slot_targets: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True)
class Task:
    """One instruction-tuning task: its definition, output space, demonstrations and instances."""

    name: str
    family: str
    attribute: str
    group: str
    """'LI' (labels describe the classes) or 'DR' (definition required)"""
    wording: str
    """'pretraining' or 'new': which set of frames and predicates its definition is written in"""
    labels: tuple[str, ...]
    """output space, in the order of the attribute's values it answers"""
    values: tuple[str, ...]
    """the attribute value each label stands for (same order as labels)"""
    definition: str
    demonstrations: tuple[tuple[tuple[str, ...], str], ...]
    instances: tuple[tuple[tuple[str, ...], str], ...] = field(repr=False)
    entailment: bool = False

    @property
    def simplified(self) -> str:
        """Only the output space, labels in alphabetical order: `labels` is ordered by the values
        the labels stand for, so listing it as is would tell a flipped task (negative , positive)
        from a plain one (positive , negative) without any definition."""
        return SIMPLIFIED.format(L=" , ".join(sorted(self.labels)))


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


def _wordings(options: Sequence[str], wording: str) -> Sequence[str]:
    return options[:PRETRAINING_WORDINGS] if wording == "pretraining" else options[PRETRAINING_WORDINGS:]


def _binary_definition(rng: np.random.Generator, attribute: str, yes_value: str, label_yes: str,
                       label_no: str, wording: str) -> str:
    predicate = _pick(rng, _wordings(PREDICATES[(attribute, yes_value)], wording))
    frame = _pick(rng, _wordings(BINARY_FRAMES, wording))
    return frame.format(A=label_yes, B=label_no, P=predicate)


def _multi_definition(rng: np.random.Generator, attribute: str, values: Sequence[str], labels: Sequence[str],
                      wording: str) -> str:
    clauses = " , ".join(f"{label} if the sentence {_pick(rng, _wordings(PREDICATES[(attribute, v)], wording))}"
                         for label, v in zip(labels, values))
    frame = _pick(rng, _wordings(MULTI_FRAMES, wording))
    return frame.format(C=clauses, L=" ".join(labels))


def definition_words() -> set[str]:
    """Every word a definition can contain (frames, predicates, labels): for the vocabulary."""
    words = set(LABEL_WORDS) | set(SIMPLIFIED.split()) | {SEP, "if", "the", "sentence", ":", ",", "."}
    words.update(REPLICATION_2_TEMPLATE_WORDS)  # replication 2's version 2 read its templates with this vocabulary
    for texts in (*PREDICATES.values(), BINARY_FRAMES, MULTI_FRAMES):
        for text in texts:
            words.update(w for w in text.split() if not w.startswith("{"))
    words.update(("premise", "hypothesis", "follows", "from", "first", "second", "is", "true", "given",
                  "does", "entail", "it", "then", "implies", "both", "same", "topic", "have"))
    return words


# -- prompts ----------------------------------------------------------------------------------

def _assemble(definition: str, labels: Sequence[str], demonstrations: Sequence[tuple[Sequence[str], str]],
              words: Sequence[str], gold: str, sentence: Sentence | None = None,
              slot_meaning: dict[str, tuple[int, int]] | None = None) -> Prompt:
    """[CLS] definition [EX] demo [ANS] label ... [IN] input [ANS]; slots recorded as they are placed."""
    label_set = set(labels)
    out: list[str] = ["[CLS]"]
    slots: list[tuple[int, str]] = []
    targets: list[tuple[int, int, int]] = []
    for word in definition.split():
        if word in label_set:
            slots.append((len(out), word))
            if slot_meaning and word in slot_meaning:
                targets.append((len(out), *slot_meaning[word]))
        out.append(word)
    for demo_words, demo_label in demonstrations:
        out.append("[EX]")
        out.extend(demo_words)
        out.append("[ANS]")
        slots.append((len(out), demo_label))
        out.append(demo_label)
    out.append("[IN]")
    start = len(out)
    out.extend(words)
    span = (start, len(out))
    out.append("[ANS]")
    return Prompt(tuple(out), tuple(slots), gold, span, sentence, tuple(targets))


def task_prompt(task: Task, words: Sequence[str], gold: str, definition: str = "original",
                examples: str = "correct") -> Prompt:
    """The prompt for one instance of `task` under a condition: definition original / simplified /
    empty, demonstrations correct / delusive / none. A delusive demonstration carries the next
    label of the output space (always another valid label; the same for every instance)."""
    return _assemble(definition_text(task, definition), task.labels, task_demonstrations(task, examples), words, gold)


def definition_text(task: Task, definition: str) -> str:
    """The task's definition under a condition: original, simplified (the output space) or empty."""
    return {"original": task.definition, "simplified": task.simplified, "empty": ""}[definition]


def task_demonstrations(task: Task, examples: str) -> list[tuple[Sequence[str], str]]:
    """The task's demonstrations under a condition: correct, delusive (each with the next label of
    the output space) or none."""
    if examples == "none":
        return []
    demos: list[tuple[Sequence[str], str]] = []
    for demo_words, label in task.demonstrations:
        if examples == "delusive":
            label = task.labels[(task.labels.index(label) + 1) % len(task.labels)]
        demos.append((demo_words, label))
    return demos


def _two_demonstrations(rng: np.random.Generator, pool: Sequence[Sentence], rule: Callable[[Sentence], str],
                        tries: int = 200) -> list[tuple[tuple[str, ...], str]]:
    """Two pool sentences that `rule` labels differently (as a task's demonstrations are), in
    random order."""
    first = pool[int(rng.integers(len(pool)))]
    second = first
    for _ in range(tries):
        second = pool[int(rng.integers(len(pool)))]
        if rule(second) != rule(first):
            break
    pair = [first, second] if rng.random() < 0.5 else [second, first]
    return [(s.words, rule(s)) for s in pair]


def pretraining_prompt(rng: np.random.Generator, pool: Sequence[Sentence], attributes: Sequence[str],
                       demonstrations: float = 0.0) -> Prompt:
    """One pretraining example: a random attribute, pretraining wording, and labels bound per
    example (symbols from a pool, yes/no of random polarity, or the values' own names), so reading
    the definition is the only way to answer. Definition slots carry what they stand for.

    With probability `demonstrations` the example also shows two demonstrations under the same
    binding (a RELABELLED_DEMONSTRATIONS share of them relabelled), so the base model learns to
    read definitions in the paper's prompt format too. At 0 the random stream is the one the first
    design drew (its cached base models stay valid)."""
    attribute = _pick(rng, attributes)
    values = ATTRIBUTES[attribute]
    sentence = pool[int(rng.integers(len(pool)))]
    attr_index = list(ATTRIBUTES).index(attribute)
    if len(values) == 2 or rng.random() < 0.5:
        # binary: one value against the rest
        yes_value = _pick(rng, [v for v in values if (attribute, v) in PREDICATES])
        style = rng.random()
        if style < 0.5:
            label_yes, label_no = (str(s) for s in rng.choice(SYMBOLS, 2, replace=False))
        elif style < 0.8:
            label_yes, label_no = ("yes", "no") if rng.random() < 0.5 else ("no", "yes")
        else:
            label_yes, label_no = ("true", "false") if rng.random() < 0.5 else ("false", "true")
        definition = _binary_definition(rng, attribute, yes_value, label_yes, label_no, "pretraining")
        labels = [label_yes, label_no]

        def rule(s: Sentence) -> str:
            return label_yes if s.attribute(attribute) == yes_value else label_no

        meaning = {label_yes: (attr_index, values.index(yes_value)), label_no: (attr_index, len(values))}
    else:
        bound = [str(s) for s in rng.choice(SYMBOLS, len(values), replace=False)] if rng.random() < 0.6 \
            else list(values)
        order = rng.permutation(len(values))
        shown_values = [values[i] for i in order]
        labels = [bound[i] for i in order]
        definition = _multi_definition(rng, attribute, shown_values, labels, "pretraining")

        def rule(s: Sentence) -> str:
            return bound[values.index(s.attribute(attribute))]

        meaning = {label: (attr_index, values.index(value)) for label, value in zip(labels, shown_values)}
    demos: list[tuple[tuple[str, ...], str]] = []
    if demonstrations > 0 and rng.random() < demonstrations:
        demos = _two_demonstrations(rng, pool, rule)
        if rng.random() < RELABELLED_DEMONSTRATIONS:
            demos = [(words, labels[(labels.index(label) + 1) % len(labels)]) for words, label in demos]
    prompt = _assemble(definition, labels, demos, sentence.words, rule(sentence), sentence, meaning)
    if len(prompt.words) > MAX_PROMPT_WORDS:
        prompt = _assemble(definition, labels, (), sentence.words, rule(sentence), sentence, meaning)
    return prompt


# -- the task suite ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskSuite:
    train: tuple[Task, ...]
    held_out: tuple[Task, ...]
    pool: tuple[Sentence, ...]
    """the sentences of training tasks and of pretraining"""
    held_pool: tuple[Sentence, ...] = ()
    """held-out tasks' sentences when they come from a pool of their own (heldout_suite.py); empty
    when they share `pool` (the first design, kept for replication 2)"""


_INDEX: dict[tuple[int, str, str], tuple[Sequence[Sentence], list[Sentence]]] = {}


def _with_value(pool: Sequence[Sentence], attribute: str, value: str) -> list[Sentence]:
    """The pool's sentences whose `attribute` is `value`, indexed once per pool (the suite
    builds hundreds of tasks over one pool). Each entry keeps its pool: an id is reused once
    its object is freed, and a stale entry would hand out another pool's sentences (it did:
    held-out tasks drew training sentences after an earlier suite had been freed)."""
    key = (id(pool), attribute, value)
    if key not in _INDEX or _INDEX[key][0] is not pool:
        if len(_INDEX) > 256:
            _INDEX.clear()
        for v in ATTRIBUTES[attribute]:
            _INDEX[(id(pool), attribute, v)] = (pool, [s for s in pool if s.attribute(attribute) == v])
    return _INDEX[key][1]


def _balanced(rng: np.random.Generator, pool: Sequence[Sentence], attribute: str, values: Sequence[str],
              count: int) -> list[Sentence]:
    """`count` sentences whose `attribute` takes each of `values` equally often, shuffled."""
    by_value = {v: _with_value(pool, attribute, v) for v in values}
    chosen = []
    for index in range(count):
        options = by_value[values[index % len(values)]]
        chosen.append(options[int(rng.integers(len(options)))])
    return [chosen[i] for i in rng.permutation(len(chosen))]


def _entailment_pair(rng: np.random.Generator, pool: Sequence[Sentence], entailed: bool) -> tuple[str, ...]:
    """premise [SEP] hypothesis: entailed by a hypernym or a dropped modifier; not entailed by a
    sibling swap or an added negation. For the simple-entailment family."""
    while True:
        s = pool[int(rng.integers(len(pool)))]
        kind = int(rng.integers(2))
        if entailed:
            if kind == 0 and s.subject in HYPERNYMS:
                h = with_changes(s, subject=HYPERNYMS[s.subject])
            elif s.colour or s.number:
                h = with_changes(s, colour=None, number=None)
            else:
                continue
        else:
            siblings = [w for w in (ANIMALS if s.subject in ANIMALS else PEOPLE) if w != s.subject]
            if kind == 0:
                h = with_changes(s, subject=siblings[int(rng.integers(len(siblings)))])
            elif not s.negated:
                h = with_changes(s, negated=True)
            else:
                continue
        return (*s.words, SEP, *h.words)


def _task(rng: np.random.Generator, pool: Sequence[Sentence], name: str, family: str, attribute: str,
          group: str, wording: str, labels: Sequence[str], values: Sequence[str], definition: str,
          instances: int) -> Task:
    label_of = dict(zip(values, labels))

    def answer(sentence: Sentence) -> str:
        value = sentence.attribute(attribute)
        return label_of.get(value, labels[-1])  # a binary "otherwise" label takes every other value

    rows = [(s.words, answer(s)) for s in _balanced(rng, pool, attribute, values, instances)]
    demos = [(s.words, answer(s)) for s in _balanced(rng, pool, attribute, values[:2], 2)]
    return Task(name, family, attribute, group, wording, tuple(labels), tuple(values), definition,
                tuple(sorted(demos, key=lambda d: labels.index(d[1]))), tuple(rows))


def _two_demos(rows: list[tuple[tuple[str, ...], str]]) -> tuple[tuple[tuple[tuple[str, ...], str], ...], list]:
    """Split generated rows (two more than the instances) into two demonstrations with different
    labels and the instances, keeping the instances' labels balanced."""
    first = rows[0]
    second = next(r for r in rows[1:] if r[1] != first[1])
    rest = list(rows)
    rest.remove(first)
    rest.remove(second)
    return (first, second), rest


def make_task(rng: np.random.Generator, pool: Sequence[Sentence], family: str, wording: str, instances: int,
               index: int, label_pool: Sequence[str], attribute: str | None = None) -> Task:
    """A task of `family`; label symbols come from `label_pool` (train and held-out pools differ)."""
    name = f"{family}_{wording}_{index}"
    if family == "topic_names":
        values = [str(v) for v in rng.choice(ATTRIBUTES["topic"], int(rng.integers(2, 5)), replace=False)]
        return _task(rng, pool, name, family, "topic", "LI", wording, values, values,
                     _multi_definition(rng, "topic", values, values, wording), instances)
    if family in ("sentiment_names", "tense_names", "subject_names"):
        attribute = {"sentiment_names": "sentiment", "tense_names": "tense", "subject_names": "subject_kind"}[family]
        values = list(ATTRIBUTES[attribute])
        return _task(rng, pool, name, family, attribute, "LI", wording, values, values,
                     _multi_definition(rng, attribute, values, values, wording), instances)
    if family == "flipped_names":
        attribute = attribute or _pick(rng, ["sentiment", "subject_kind"])
        values = list(ATTRIBUTES[attribute])
        labels = values[::-1]
        return _task(rng, pool, name, family, attribute, "DR", wording, labels, values,
                     _multi_definition(rng, attribute, values, labels, wording), instances)
    if family in ("yes_no", "symbols", "true_false"):
        attribute = attribute or _pick(rng, [a for a in ATTRIBUTES if a != HELD_OUT_ATTRIBUTE])
        yes_value = _pick(rng, [v for v in ATTRIBUTES[attribute] if (attribute, v) in PREDICATES])
        others = [v for v in ATTRIBUTES[attribute] if v != yes_value]
        if family == "yes_no":
            labels = ["yes", "no"] if rng.random() < 0.7 else ["no", "yes"]
        elif family == "true_false":
            labels = ["true", "false"] if rng.random() < 0.5 else ["false", "true"]
        else:
            labels = [str(s) for s in rng.choice(label_pool, 2, replace=False)]
        definition = _binary_definition(rng, attribute, yes_value, labels[0], labels[1], wording)
        return _task(rng, pool, name, family, attribute, "DR", wording, labels, [yes_value, *others[:1]],
                     definition, instances) if len(others) == 1 else _otherwise_task(
            rng, pool, name, family, attribute, wording, labels, yes_value, definition, instances)
    if family == "entailment":
        labels = ["yes", "no"]
        definition = _pick(rng, ("answer yes if the second sentence follows from the first , otherwise no",
                                 "does the premise entail the hypothesis ? yes or no",
                                 "if the first sentence is true is the second true ? answer yes or no",
                                 "say yes when the first sentence implies the second , else no"))
        rows = []
        for i in range(instances + 2):
            entailed = i % 2 == 0
            rows.append((_entailment_pair(rng, pool, entailed), "yes" if entailed else "no"))
        demos, rest = _two_demos(rows)
        rest = [rest[i] for i in rng.permutation(len(rest))]
        return Task(name, family, "entailment", "DR", wording, tuple(labels), ("yes", "no"), definition,
                    demos, tuple(rest), entailment=True)
    raise ValueError(f"unknown task family {family!r}")


def _otherwise_task(rng: np.random.Generator, pool: Sequence[Sentence], name: str, family: str, attribute: str,
                    wording: str, labels: Sequence[str], yes_value: str, definition: str, instances: int) -> Task:
    """A binary task on a many-valued attribute (is it about food?): half the instances have the
    asked value, half spread over the others."""
    hits = _balanced(rng, pool, attribute, [yes_value], (instances + 2) // 2)
    misses = _balanced(rng, pool, attribute, [v for v in ATTRIBUTES[attribute] if v != yes_value],
                       instances + 2 - len(hits))
    rows = [(s.words, labels[0]) for s in hits] + [(s.words, labels[1]) for s in misses]
    demos, rest = _two_demos(rows)
    rest = [rest[i] for i in rng.permutation(len(rest))]
    return Task(name, family, attribute, "DR", wording, tuple(labels), (yes_value, "other"), definition,
                demos, tuple(rest))


TRAIN_FAMILIES = ("topic_names", "sentiment_names", "tense_names", "subject_names", "flipped_names", "yes_no",
                  "symbols", "entailment")


def build_suite(seed: int, train_tasks: int = 120, held_out_tasks: int = 48, train_instances: int = 48,
                held_out_instances: int = 100, pool_size: int = 4000, entailment: bool = True) -> TaskSuite:
    """Training tasks (pretraining wordings, label symbols from one half of the symbol pool, no
    task on HELD_OUT_ATTRIBUTE) and held-out tasks: half in new wordings, half in pretraining
    wordings, symbols from the other half of the pool, some on the held-out attribute.
    `entailment=False` leaves the entailment family out (replication 2's M1)."""
    rng = np.random.default_rng([seed, 4242])
    pool = tuple(sentence_pool(seed, pool_size))
    train_symbols, held_symbols = SYMBOLS[:50], SYMBOLS[50:]
    families = [f for f in TRAIN_FAMILIES if entailment or f != "entailment"]
    train = tuple(make_task(rng, pool, families[i % len(families)], "pretraining", train_instances, i, train_symbols)
                  for i in range(train_tasks))
    held: list[Task] = []
    held_families = ("topic_names", "sentiment_names", "tense_names", "flipped_names", "yes_no", "symbols",
                     "yes_no_unseen_attribute", "symbols_unseen_attribute")
    for i in range(held_out_tasks):
        family = held_families[i % len(held_families)]
        wording = "new" if (i // len(held_families)) % 2 == 0 else "pretraining"
        if family.endswith("_unseen_attribute"):
            task = make_task(rng, pool, family.removesuffix("_unseen_attribute"), wording, held_out_instances, i,
                              held_symbols, attribute=HELD_OUT_ATTRIBUTE)
            task = Task(**{**task.__dict__, "family": family})
        else:
            task = make_task(rng, pool, family, wording, held_out_instances, i, held_symbols)
        held.append(task)
    return TaskSuite(train, tuple(held), tuple(pool))
