"""Prompt templates and target words for replication 2 (Webson & Pavlick 2022), written by us.

The paper's templates are long English sentences; our models read at most 64 word tokens for a
template, a premise and a hypothesis (6-11 words each), so ours are short, lowercase and free of
punctuation, but keep each category's intent:

- instructive: asks for entailment ("does this imply that ...");
- misleading-moderate: asks a related task (paraphrase, word overlap);
- misleading-extreme: asks an unrelated task (is this about sport, is it grammatical);
- irrelevant: a sentence on another subject between premise and hypothesis;
- null: premise, hypothesis and the answer slot with no words around them.

Each template has the slots `{premise}`, `{hypothesis}` and `{mask}` (where a target word goes;
a masked LM predicts it there, a word-level model may end the prompt at it). Target-word sets
are (word when entailed, word when not entailed) in the paper's four kinds. `TEMPLATE_WORDS`
lists every word used here, for the word-level model's vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ANIMAL_TEMPLATE", "CATEGORIES", "TARGET_KINDS", "TARGET_SETS", "TEMPLATES", "TEMPLATE_WORDS",
           "Template", "TargetSet", "template", "target_set"]

CATEGORIES = ("instructive", "misleading-moderate", "misleading-extreme", "irrelevant", "null")
TARGET_KINDS = ("yes-no", "yes-no-like", "reversed", "arbitrary")
_SLOTS = ("{premise}", "{hypothesis}", "{mask}")


@dataclass(frozen=True)
class Template:
    """A named prompt template in one of the paper's categories."""

    name: str
    category: str
    text: str

    def fill(self, premise: str, hypothesis: str, mask: str = "[MASK]") -> str:
        """The prompt: the slots replaced, `mask` where the target word goes (an empty `mask`
        drops the slot), whitespace collapsed."""
        filled = self.text.replace("{premise}", premise).replace("{hypothesis}", hypothesis)
        return " ".join(filled.replace("{mask}", mask).split())

    @property
    def words(self) -> tuple[str, ...]:
        """The template's own words, slots excluded."""
        return tuple(w for w in self.text.split() if w not in _SLOTS)


@dataclass(frozen=True)
class TargetSet:
    """The two words the model chooses between: `entailed` for label 0, `not_entailed` for 1."""

    name: str
    kind: str
    entailed: str
    not_entailed: str

    @property
    def words(self) -> tuple[str, str]:
        return (self.entailed, self.not_entailed)


def _templates(category: str, **texts: str) -> list[Template]:
    return [Template(name, category, text) for name, text in texts.items()]


TEMPLATES: tuple[Template, ...] = tuple(
    _templates("instructive",
               inst_definitely="{premise} using only the above description is it definitely true that "
                               "{hypothesis} {mask}",
               inst_imply="{premise} does this imply that {hypothesis} {mask}",
               inst_infer="suppose {premise} can we infer that {hypothesis} {mask}",
               inst_based="{premise} based on the previous sentence is it true that {hypothesis} {mask}",
               inst_assume="given {premise} should we assume that {hypothesis} is true {mask}",
               inst_follows="{premise} question does it follow that {hypothesis} answer {mask}")
    + _templates("misleading-moderate",
                 mm_words="{premise} do most of the above words appear in the next sentence {hypothesis} {mask}",
                 mm_similar="{premise} are there many similar words in {hypothesis} {mask}",
                 mm_paraphrase="{premise} can that be paraphrased as {hypothesis} {mask}",
                 mm_meaning="{premise} does that have the same meaning as {hypothesis} {mask}",
                 mm_summary="{premise} can that be summarised as {hypothesis} {mask}")
    + _templates("misleading-extreme",
                 me_sports="{premise} is this a sports story {hypothesis} {mask}",
                 me_grammar="{premise} is the next sentence grammatical {hypothesis} {mask}",
                 me_sentiment="{premise} is the sentiment positive {hypothesis} {mask}",
                 me_french="{premise} is this a french sentence {hypothesis} {mask}",
                 me_longer="{premise} is the next sentence longer than this one {hypothesis} {mask}")
    + _templates("irrelevant",
                 irr_stock="{premise} if fish flakes boil too long the stock becomes too strong {hypothesis} {mask}",
                 irr_zoning="{premise} single family zoning is bad for cities {hypothesis} {mask}",
                 irr_inflections="{premise} inflections are annoying and old english lost most of them "
                                 "{hypothesis} {mask}",
                 irr_gauss="{premise} gauss said he found the same results years ago {hypothesis} {mask}",
                 irr_weather="{premise} the weather in the mountains changes quickly in spring {hypothesis} {mask}")
    + _templates("null",
                 null_end="{premise} {hypothesis} {mask}",
                 null_middle="{premise} {mask} {hypothesis}",
                 null_swapped="{hypothesis} {mask} {premise}",
                 null_start="{mask} {premise} {hypothesis}",
                 null_swapped_end="{hypothesis} {premise} {mask}")
)
"""26 templates: 6 instructive, 5 of each other category."""

ANIMAL_TEMPLATE = Template("check_animal", "check",
                           "{premise} {hypothesis} does the first sentence mention an animal {mask}")
"""The template check: asks whether the premise mentions an animal (answered with yes/no)."""

TARGET_SETS: tuple[TargetSet, ...] = (
    TargetSet("yes_no", "yes-no", "yes", "no"),
    TargetSet("true_false", "yes-no-like", "true", "false"),
    TargetSet("positive_negative", "yes-no-like", "positive", "negative"),
    TargetSet("no_yes", "reversed", "no", "yes"),
    TargetSet("false_true", "reversed", "false", "true"),
    TargetSet("negative_positive", "reversed", "negative", "positive"),
    TargetSet("cat_dog", "arbitrary", "cat", "dog"),
    TargetSet("she_he", "arbitrary", "she", "he"),
    TargetSet("B_C", "arbitrary", "B", "C"),
)
"""The paper's target-word sets (Webson & Pavlick 2022, RTE): yes/no; yes/no-like true/false and
positive/negative; reversed no/yes, false/true, negative/positive; arbitrary cat/dog, she/he, B/C
(version 2 used 11 sets of its own: see instruction_tasks.REPLICATION_2_TARGET_WORDS)."""

TEMPLATE_WORDS: tuple[str, ...] = tuple(sorted(
    {w for t in (*TEMPLATES, ANIMAL_TEMPLATE) for w in t.words} | {w for s in TARGET_SETS for w in s.words}))
"""Every word a template or a target set uses, sorted: add these to a word-level vocabulary."""


def template(name: str) -> Template:
    """The template called `name` (the animal check included). Raises KeyError naming the choices."""
    for candidate in (*TEMPLATES, ANIMAL_TEMPLATE):
        if candidate.name == name:
            return candidate
    raise KeyError(f"no template {name!r}; choose from {', '.join(t.name for t in TEMPLATES)}")


def target_set(name: str) -> TargetSet:
    """The target-word set called `name`. Raises KeyError naming the choices."""
    for candidate in TARGET_SETS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no target set {name!r}; choose from {', '.join(s.name for s in TARGET_SETS)}")


def _check() -> None:
    """Import-time sanity: unique names, known categories, each slot exactly once, plain words."""
    names = [t.name for t in (*TEMPLATES, ANIMAL_TEMPLATE)]
    assert len(names) == len(set(names)), names
    for t in TEMPLATES:
        assert t.category in CATEGORIES and all(t.text.count(slot) == 1 for slot in _SLOTS), t
    assert all(re.fullmatch(r"[A-Za-z]+", w) for w in TEMPLATE_WORDS)  # the paper's B/C are capitals
    assert all(s.kind in TARGET_KINDS for s in TARGET_SETS)


_check()
