"""The templates and target words: the issue's counts, the paper's kinds, short enough to read."""

from __future__ import annotations

from collections import Counter

import pytest

from notesgraph.experiments.shared.lexicon import vocabulary
from notesgraph.experiments.replication2.prompt_templates import (ANIMAL_TEMPLATE, CATEGORIES, TARGET_KINDS, TARGET_SETS,
                                                     TEMPLATE_WORDS, TEMPLATES, target_set, template)


def test_counts_and_kinds() -> None:
    assert len(TEMPLATES) >= 25 and len(TARGET_SETS) == 9  # the paper's
    assert set(Counter(t.category for t in TEMPLATES)) == set(CATEGORIES)
    assert min(Counter(t.category for t in TEMPLATES).values()) >= 5
    assert set(s.kind for s in TARGET_SETS) == set(TARGET_KINDS)
    reversed_pairs = {s.words for s in TARGET_SETS if s.kind == "reversed"}
    assert all(words[::-1] in {s.words for s in TARGET_SETS if s.kind in ("yes-no", "yes-no-like")}
               for words in reversed_pairs)


def test_prompts_fit_the_word_level_model() -> None:
    """Template words + two 11-word sentences + the mask stay within 64 tokens."""
    longest = max(len(t.words) for t in (*TEMPLATES, ANIMAL_TEMPLATE))
    assert longest + 2 * 11 + 1 <= 64
    words = set(TEMPLATE_WORDS)
    assert all(set(t.words) <= words for t in (*TEMPLATES, ANIMAL_TEMPLATE))
    assert all(set(s.words) <= words for s in TARGET_SETS)
    assert "mention" in words and "yes" in words
    assert len(vocabulary(TEMPLATE_WORDS)) < 400


def test_fill_places_every_slot() -> None:
    imply = template("inst_imply")
    assert imply.fill("the dog ran", "the animal ran") == "the dog ran does this imply that the animal ran [MASK]"
    assert imply.fill("a", "b", mask="") == "a does this imply that b"
    assert template("null_middle").fill("p", "h", mask="<mask>") == "p <mask> h"
    assert ANIMAL_TEMPLATE.fill("p", "h").endswith("mention an animal [MASK]")


def test_lookup_errors_name_the_choices() -> None:
    assert target_set("no_yes").words == ("no", "yes")
    with pytest.raises(KeyError, match="inst_imply"):
        template("inst_imlpy")
    with pytest.raises(KeyError, match="yes_no"):
        target_set("maybe")
