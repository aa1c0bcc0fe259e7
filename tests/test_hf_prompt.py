"""The real-scale backend, end to end on a tiny randomly initialised BERT saved to a temp folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from notesgraph.experiments.replication2.hf_prompt import (MaskedLMPromptClassifier, RteFormatError,  # noqa: E402
                                              load_rte, load_rte_folder, mentions_animal)
from notesgraph.experiments.replication2.prompt_protocol import (CLAIMS, PromptDesign, ProtocolConfig,  # noqa: E402
                                                    category_statistics, claim_verdicts, run_protocol,
                                                    target_kind_statistics, template_check)
from notesgraph.experiments.replication2.prompt_templates import TEMPLATE_WORDS  # noqa: E402
from notesgraph.experiments.replication2.rte_lite import rte_lite_pairs, split_pairs  # noqa: E402

HEADER = "index\tsentence1\tsentence2\tlabel\n"


def _write_rte(path: Path, pairs) -> None:
    lines = [f"{i}\t{p.premise.text}\t{p.hypothesis.text}\t{'entailment' if p.entailed else 'not_entailment'}\n"
             for i, p in enumerate(pairs)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def rte_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rte")
    train, dev = split_pairs(rte_lite_pairs(0, 120), 40, seed=0)
    _write_rte(folder / "train.tsv", train)
    _write_rte(folder / "dev.tsv", dev)
    return folder


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, rte_folder: Path) -> Path:
    """A 2-layer BERT (hidden size 32) and a word-level tokenizer trained on the test's texts."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    texts = [line for name in ("train.tsv", "dev.tsv")
             for line in (rte_folder / name).read_text(encoding="utf-8").splitlines()]
    texts.append(" ".join(TEMPLATE_WORDS))
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=specials))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[(t, tokenizer.token_to_id(t)) for t in ("[CLS]", "[SEP]")])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertForMaskedLM(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_an_albert_folder_loads_and_scores(tiny_model: Path, tmp_path: Path) -> None:
    """ALBERT (the paper's main model) through the same class: its config beside the tokenizer."""
    import shutil

    from transformers import AlbertConfig, AlbertForMaskedLM

    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_model / name, tmp_path / name)
    vocab = MaskedLMPromptClassifier(tiny_model).tokenizer.vocab_size
    AlbertForMaskedLM(AlbertConfig(vocab_size=vocab, embedding_size=16, hidden_size=32, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=64,
                                   max_position_embeddings=128)).save_pretrained(tmp_path)
    model = MaskedLMPromptClassifier(tmp_path, learning_rate=1e-2)
    model.reset(0)
    prompts = [f"the dog ran does this imply that the animal ran {model.mask_token}"] * 2
    model.fit(prompts, [0, 0], ("true", "false"), epochs=5)
    assert list(model.predict(prompts, ("true", "false"))) == [0, 0]


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


def test_load_rte_reads_glue_tsv_and_tags_animals(rte_folder: Path, tmp_path: Path) -> None:
    train, dev = load_rte_folder(rte_folder)
    assert len(train) == 80 and len(dev) == 40 and sum(e.entailed for e in dev) == 20
    assert any(e.attributes["mentions_animal"] for e in train)
    assert mentions_animal("Two Lions escaped.") and not mentions_animal("Cattlemen met.")
    (tmp_path / "test.tsv").write_text("index\tsentence1\tsentence2\n0\ta\tb\n", encoding="utf-8")
    with pytest.raises(RteFormatError, match="test.tsv, line 1: no column label.*train.tsv"):
        load_rte(tmp_path / "test.tsv")
    (tmp_path / "bad.tsv").write_text(HEADER + '0\t"a\tb\tmaybe\n', encoding="utf-8")
    with pytest.raises(RteFormatError, match="bad.tsv, line 2: unknown label 'maybe'"):
        load_rte(tmp_path / "bad.tsv")


def test_reset_restores_the_loaded_weights(tiny_model: Path) -> None:
    model = MaskedLMPromptClassifier(tiny_model, learning_rate=1e-2)
    prompts = [f"the dog ate the cake {model.mask_token}", f"{model.mask_token} the cat ate the soup"]
    model.reset(0)
    logits = model._target_logits(prompts, model._target_ids(("yes", "no"))).detach().clone()
    epochs: list[int] = []
    model.fit(prompts, [0, 1], ("yes", "no"), epochs=3, on_epoch=epochs.append)
    assert epochs == [1, 2, 3]
    changed = model._target_logits(prompts, model._target_ids(("yes", "no"))).detach()
    assert not torch.allclose(changed, logits)
    model.reset(1)
    assert torch.allclose(model._target_logits(prompts, model._target_ids(("yes", "no"))).detach(), logits)
    assert set(model.predict(prompts, ("yes", "no"))) <= {0, 1}
    with pytest.raises(ValueError, match="mask tokens"):
        model.predict(["no mask here"], ("yes", "no"))
    with pytest.raises(ValueError, match="'zebra' is unknown"):
        model.predict(prompts, ("yes", "zebra"))


class Spy:
    """Passes every call to the model, and remembers the prompts each fit was given."""

    def __init__(self, model: MaskedLMPromptClassifier) -> None:
        self.model, self.mask_token, self.fits = model, model.mask_token, []

    def reset(self, seed: int) -> None:
        self.model.reset(seed)

    def fit(self, prompts, labels, targets, epochs, on_epoch=None) -> None:
        self.fits.append((list(prompts), list(labels), targets))
        self.model.fit(prompts, labels, targets, epochs, on_epoch)

    def predict(self, prompts, targets) -> np.ndarray:
        return self.model.predict(prompts, targets)


def test_protocol_end_to_end_on_a_tiny_masked_lm(tiny_model: Path, rte_folder: Path) -> None:
    train, dev = load_rte_folder(rte_folder)
    spy = Spy(MaskedLMPromptClassifier(tiny_model, learning_rate=1e-3, batch_size=4))
    design = PromptDesign(sweep_templates=("inst_imply", "irr_zoning"), sweep_targets="yes_no",
                          target_sets=("yes_no", "cat_dog"), target_templates=("inst_imply",),
                          check_templates=("inst_imply",))
    config = ProtocolConfig(shots=(0, 4), seeds=(0, 1), epochs=2, design=design, check_items=20)
    result = run_protocol(spy, train, dev, config)

    assert {(r.template, r.targets) for r in result.records if r.task == "entailment"} == {
        ("inst_imply", "yes_no"), ("irr_zoning", "yes_no"), ("inst_imply", "cat_dog")}
    assert all(0.0 <= r.final_accuracy <= r.best_accuracy <= 1.0 for r in result.records)
    assert all(r.n_test == 40 for r in result.records if r.task == "entailment")
    # every prompt of a seed was fitted on the same block, in the same order
    assert len(spy.fits) == 2 * (3 + 2)  # seeds x (prompts + the check's two templates) at k = 4
    for seed in (0, 1):
        block = [train[i] for i in result.blocks[seed][4]]
        labels = [0 if e.entailed else 1 for e in block]
        fitted = [f for f in spy.fits
                  if f[1] == labels and all(e.premise in p and e.hypothesis in p for e, p in zip(block, f[0]))]
        assert any("zoning" in f[0][0] for f in fitted) and {f[2] for f in fitted} == {("yes", "no"), ("cat", "dog")}
        assert len(fitted) == 3
    # statistics, the template check and the verdicts are computed
    assert category_statistics(result)[4].kruskal is not None
    assert set(target_kind_statistics(result)[4].medians) == {"yes-no", "arbitrary"}
    check = template_check(result)
    assert check.computed and [row.shots for row in check.per_shot] == [0, 4]
    verdicts = claim_verdicts(result, "tiny-bert")
    assert [v.claim for v in verdicts] == list(CLAIMS)
    assert all(v.verdict in ("consistent", "inconsistent", "inconclusive") for v in verdicts)
