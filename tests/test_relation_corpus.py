"""Replication 2 version 3's base model: relation statements that use the instructive words
truthfully, about pairs that share no sentence with the experiment's, and its own vocabulary."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from notesgraph.experiments.replication2.prompt_templates import TARGET_SETS, TEMPLATE_WORDS
from notesgraph.experiments.replication2.relation_corpus import (RELATION_FRAMES, RELATION_WORDS, relation_pairs, relation_text,
                                                    shared_sentences)
from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs
from notesgraph.experiments.shared.world_corpus import MASK


def test_statements_say_imply_for_entailed_pairs_and_not_imply_for_the_others() -> None:
    experiment = rte_lite_pairs(0, 200)
    pool = relation_pairs(600, experiment)
    assert len(pool) > 500 and shared_sentences(pool, experiment) == 0
    assert shared_sentences(experiment[:10], experiment) == 10  # the check can fail
    rng = np.random.default_rng(3)
    negated = {True: 0, False: 0}
    for _ in range(300):
        text = relation_text(rng, pool, 96)
        words = list(text.words)
        for position, word in text.targets:  # restore the masked words to read the statement
            words[position] = word
        sentence = " ".join(words[1:])
        pair = next(p for p in pool if " ".join(p.premise.words) in sentence and " ".join(p.hypothesis.words)
                    in sentence.split(" ".join(p.premise.words), 1)[1])
        frame = next(f for entailed, negative in RELATION_FRAMES for f in (entailed, negative)
                     if sentence.startswith(f.split("{P}")[0]) and
                     sentence.replace(" ".join(pair.premise.words), "{P}", 1).replace(
                         " ".join(pair.hypothesis.words), "{H}", 1) == f)
        negative = any(frame == n for _, n in RELATION_FRAMES)
        assert negative == (not pair.entailed), sentence
        negated[pair.entailed] += 1
        assert MASK in text.words and all(text.words[p] == MASK for p, _ in text.targets)
    assert min(negated.values()) > 100  # both kinds, about equally often


def test_the_base_has_every_template_and_target_word_and_its_own_cache(tmp_path: Path) -> None:
    from notesgraph.experiments.replication1.instruction_tuning_context import Context
    from notesgraph.experiments.replication2.prompt_base import PromptBaseContext
    from notesgraph.experiments.replication2.prompt_sensitivity import _base_parameters
    from notesgraph.experiments.registry import experiment

    parameters = experiment("prompt_sensitivity").resolve(quick=True)
    pairs = rte_lite_pairs(0, int(parameters["train_pairs"]) + int(parameters["test_pairs"]))
    context = PromptBaseContext(_base_parameters(parameters), tmp_path / "run", pairs)
    words = set(context.vocab.words)
    assert {w for s in TARGET_SETS for w in s.words} | set(TEMPLATE_WORDS) | set(RELATION_WORDS) <= words
    assert {"she", "B", "C", "imply", "infer", "assume"} <= words
    assert shared_sentences(context.relation_pool, pairs) == 0 and context.relation_pool
    plain = Context(_base_parameters(parameters), tmp_path / "run")
    assert context.base_path() != plain.base_path()
    without = PromptBaseContext({**_base_parameters(parameters), "pretrain_relations": 0.0}, tmp_path / "run", pairs)
    assert without.relation_pool == [] and without.base_path() != context.base_path()
    rng = np.random.default_rng(0)
    texts = [context.masked_example(rng, context.suite.pool) for _ in range(400)]
    share = np.mean([any(w in ("imply", "implies", "infer", "assume", "follow", "based") for w in t.words)
                     or "definitely" in t.words for t in texts])
    assert 0.15 < share < 0.45  # pretrain_relations = 0.3 of the texts (a masked key word hides a few)


def test_the_reader_learns_any_vocabulary_words_as_targets_with_its_word_head(tmp_path: Path) -> None:
    import pytest

    from notesgraph.experiments.replication2.prompt_base import PromptBaseContext
    from notesgraph.experiments.replication2.prompt_sensitivity import _base_parameters
    from notesgraph.experiments.replication2.prompt_templates import template
    from notesgraph.experiments.replication2.reader_prompt import ReaderPromptClassifier
    from notesgraph.experiments.registry import experiment

    parameters = experiment("prompt_sensitivity").resolve(quick=True)
    pairs = rte_lite_pairs(0, 40)
    context = PromptBaseContext(_base_parameters(parameters), tmp_path / "run", pairs)
    classifier = ReaderPromptClassifier(context.new_model(0), context.vocab, lr=3e-3, batch_size=5)
    chosen = template("inst_imply")
    prompts = [chosen.fill(" ".join(p.premise.words), " ".join(p.hypothesis.words), "") for p in pairs[:10]]
    labels = [0 if p.entailed else 1 for p in pairs[:10]]
    classifier.reset(0)
    seen: list[int] = []
    classifier.fit(prompts, labels, ("she", "he"), 40, on_epoch=seen.append)
    assert seen == list(range(1, 41))
    assert (classifier.predict(prompts, ("she", "he")) == np.array(labels)).mean() == 1.0  # it fits its 10 examples
    assert set(classifier.predict(prompts, ("B", "C"))) <= {0, 1}
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        classifier.predict(prompts, ("she", "zebra-crossing"))
