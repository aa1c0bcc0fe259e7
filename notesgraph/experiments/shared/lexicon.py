"""A small bundled world of words and the sentences built from them, for the replications.

Both replications train small models from scratch on a closed vocabulary, so every sentence is
built here from word lists, and each sentence carries the attributes a task may ask about:
topic, sentiment, tense, negation, whether it mentions an animal, a colour or a number, and
what kind of thing its subject is. Hypernyms (dog -> animal) and siblings (dog, cat) make
simple entailment pairs possible (replication 2's RTE-lite).

Everything is a constant or a pure function of a numpy Generator: the same seed gives the
same pool on every machine. Sentences are short (6-11 words) so a prompt with a definition,
two demonstrations and an input fits in 64 tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ANIMALS", "COLOURS", "HYPERNYMS", "NUMBERS", "PEOPLE", "SENTIMENT_WORDS", "TENSES", "TOPICS",
           "VERBS", "Sentence", "make_sentence", "random_sentence", "sentence_pool", "vocabulary",
           "with_changes"]

PEOPLE = ("farmer", "teacher", "doctor", "child", "singer", "driver", "cook", "painter", "student", "nurse",
          "baker", "pilot")
ANIMALS = ("dog", "cat", "horse", "bird", "rabbit", "cow", "sheep", "fox", "bear", "goat", "mouse", "duck")
COLOURS = ("red", "blue", "green", "yellow", "black", "white", "brown", "grey")
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "ten")
SENTIMENT_WORDS = {
    "positive": ("happy", "glad", "proud", "calm", "cheerful", "kind", "joyful", "lucky"),
    "negative": ("sad", "angry", "tired", "upset", "afraid", "bored", "grumpy", "lonely"),
}
TENSES = ("past", "present", "future")

# verb: (past, present third person, base); objects by topic
VERBS: dict[str, tuple[str, str, str]] = {
    "cook": ("cooked", "cooks", "cook"), "eat": ("ate", "eats", "eat"), "bake": ("baked", "bakes", "bake"),
    "taste": ("tasted", "tastes", "taste"),
    "kick": ("kicked", "kicks", "kick"), "throw": ("threw", "throws", "throw"), "catch": ("caught", "catches", "catch"),
    "chase": ("chased", "chases", "chase"),
    "sing": ("sang", "sings", "sing"), "hum": ("hummed", "hums", "hum"), "hear": ("heard", "hears", "hear"),
    "whistle": ("whistled", "whistles", "whistle"),
    "drive": ("drove", "drives", "drive"), "ride": ("rode", "rides", "ride"), "wash": ("washed", "washes", "wash"),
    "fix": ("fixed", "fixes", "fix"),
    "read": ("read", "reads", "read"), "open": ("opened", "opens", "open"), "study": ("studied", "studies", "study"),
    "write": ("wrote", "writes", "write"),
    "meet": ("met", "meets", "meet"), "help": ("helped", "helps", "help"), "follow": ("followed", "follows", "follow"),
    "visit": ("visited", "visits", "visit"),
}
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "food": (("cook", "eat", "bake", "taste"), ("bread", "soup", "cake", "apple", "rice", "cheese", "pie", "egg")),
    "sport": (("kick", "throw", "catch", "chase"), ("ball", "puck", "frisbee", "racket", "stick", "hoop")),
    "music": (("sing", "hum", "hear", "whistle"), ("song", "tune", "melody", "hymn", "chorus", "ballad")),
    "travel": (("drive", "ride", "wash", "fix"), ("car", "bus", "bike", "boat", "train", "truck")),
    "reading": (("read", "open", "study", "write"), ("book", "letter", "map", "poem", "story", "note")),
    "meeting": (("meet", "help", "follow", "visit"), PEOPLE + ANIMALS),
}
"""topic -> (verbs, objects). A sentence's topic is the topic of its activity."""
HYPERNYMS: dict[str, str] = {
    **{w: "person" for w in PEOPLE}, **{w: "animal" for w in ANIMALS},
    **{w: "food" for w in TOPICS["food"][1]}, **{w: "vehicle" for w in TOPICS["travel"][1]},
    **{w: "song" for w in ("tune", "melody", "hymn", "chorus", "ballad")},
}
"""word -> a broader word: the dog ran entails the animal ran."""


@dataclass(frozen=True)
class Sentence:
    """A generated sentence: its words and every attribute a task may ask about."""

    words: tuple[str, ...]
    subject: str
    verb: str
    object: str
    topic: str
    sentiment: str
    tense: str
    negated: bool
    colour: str | None
    number: str | None
    mood: str
    """the sentiment word used (happy, sad, ...)"""

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def subject_kind(self) -> str:
        return "animal" if self.subject in ANIMALS else "person"

    @property
    def mentions_animal(self) -> bool:
        return self.subject in ANIMALS or self.object in ANIMALS

    @property
    def mentions_colour(self) -> bool:
        return self.colour is not None

    @property
    def mentions_number(self) -> bool:
        return self.number is not None

    def attribute(self, name: str) -> str:
        """The value of attribute `name` as a string ('yes'/'no' for the boolean ones)."""
        value = getattr(self, name)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


def _verb_words(verb: str, tense: str, negated: bool) -> tuple[str, ...]:
    past, present, base = VERBS[verb]
    if tense == "future":
        return ("will", "not", base) if negated else ("will", base)
    if negated:
        return ("did" if tense == "past" else "does", "not", base)
    return (past if tense == "past" else present,)


def make_sentence(subject: str, verb: str, obj: str, *, mood: str, tense: str = "past", negated: bool = False,
                  colour: str | None = None, number: str | None = None) -> Sentence:
    """The sentence with these parts: 'the <mood> [colour] <subject> <verb> the <object> [<number> times]'."""
    topic = next(name for name, (verbs, _) in TOPICS.items() if verb in verbs)
    sentiment = next(name for name, words in SENTIMENT_WORDS.items() if mood in words)
    words = ["the", mood, *([colour] if colour else []), subject, *_verb_words(verb, tense, negated), "the", obj]
    if number:
        words += [number, "times"]
    return Sentence(tuple(words), subject, verb, obj, topic, sentiment, tense, negated, colour, number, mood)


def _choose(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def random_sentence(rng: np.random.Generator, topic: str | None = None) -> Sentence:
    """One sentence, every attribute drawn independently and balanced (colour and number half the time)."""
    topic = topic or _choose(rng, list(TOPICS))
    verbs, objects = TOPICS[topic]
    subject = _choose(rng, PEOPLE + ANIMALS)
    obj = _choose(rng, [o for o in objects if o != subject])
    sentiment = _choose(rng, list(SENTIMENT_WORDS))
    return make_sentence(subject, _choose(rng, verbs), obj, mood=_choose(rng, SENTIMENT_WORDS[sentiment]),
                         tense=_choose(rng, TENSES), negated=bool(rng.random() < 0.5),
                         colour=_choose(rng, COLOURS) if rng.random() < 0.5 else None,
                         number=_choose(rng, NUMBERS) if rng.random() < 0.5 else None)


def sentence_pool(seed: int, size: int) -> list[Sentence]:
    """`size` distinct sentences, topics in equal shares; deterministic for the seed."""
    rng = np.random.default_rng([seed, 1729])
    topics = list(TOPICS)
    seen: set[tuple[str, ...]] = set()
    pool: list[Sentence] = []
    attempts = 0
    while len(pool) < size and attempts < size * 50:
        attempts += 1
        sentence = random_sentence(rng, topics[len(pool) % len(topics)])
        if sentence.words not in seen:
            seen.add(sentence.words)
            pool.append(sentence)
    return pool


def with_changes(sentence: Sentence, **changes: object) -> Sentence:
    """The sentence rebuilt with some parts changed (subject, verb, object, mood, tense, ...)."""
    parts = {"subject": sentence.subject, "verb": sentence.verb, "obj": sentence.object, "mood": sentence.mood,
             "tense": sentence.tense, "negated": sentence.negated, "colour": sentence.colour,
             "number": sentence.number}
    parts.update(changes)
    subject, verb, obj = parts.pop("subject"), parts.pop("verb"), parts.pop("obj")
    return make_sentence(subject, verb, obj, **parts)  # type: ignore[arg-type]


def vocabulary(extra: Sequence[str] = ()) -> list[str]:
    """Every word a generated sentence can contain, plus `extra` (definition and label words),
    sorted and deduplicated: a stable word-level vocabulary."""
    words = {"the", "will", "not", "did", "does", "times", *PEOPLE, *ANIMALS, *COLOURS, *NUMBERS,
             *HYPERNYMS.values(), *(w for group in SENTIMENT_WORDS.values() for w in group)}
    for forms in VERBS.values():
        words.update(forms)
    for _, objects in TOPICS.values():
        words.update(objects)
    words.update(extra)
    return sorted(words)

