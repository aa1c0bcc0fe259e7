"""The hf_seq2seq backend (issue 9, "Real scale") and the SuperNI helpers it shares with the
synthetic pipeline: a tiny randomly initialised T5 and a word-level tokenizer built here, a tiny
SuperNI-format folder written here, every condition run end to end with the network blocked."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: loading must not need the hub
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from notesgraph.experiments.replication1 import hf_seq2seq, superni  # noqa: E402
from notesgraph.experiments.spec import ExperimentError, Progress, Result  # noqa: E402
from notesgraph.experiments.replication1.superni import SuperNITask  # noqa: E402

WORDS = ("red blue green cat dog fish runs sleeps eats big small old new happy sad the a "
         "river tree stone cloud sings jumps").split()
TRAIN_TASKS = {  # name -> labels; task_two_* are two-label, the rest multi-label
    "task001_two_colour": ("yes", "no"),
    "task002_two_size": ("True", "False"),
    "task003_multi_animal": ("cat", "dog", "fish"),
    "task004_multi_mood": ("happy", "sad", "calm", "angry"),
}
TEST_TASKS = {"task101_two_polarity": ("positive", "negative"), "task102_multi_weather": ("sun", "rain", "snow"),
              "task103_two_agree": ("agree", "disagree"), "task104_multi_season": ("spring", "summer", "autumn", "winter")}
INSTANCES = 20
PARAMETERS = {"n_values": "2,4", "instances": 16, "epochs": 1, "lr": 1e-3, "batch_size": 8, "max_tasks": 3,
              "max_source_length": 96, "max_target_length": 4}
SEEDS = (0, 1)


# -- the tiny world: a SuperNI folder, a tokenizer and a T5, all made here -----------------------

def _task_json(name: str, labels: tuple[str, ...], rng: np.random.Generator) -> dict:
    def sentence() -> str:
        return " ".join(rng.choice(WORDS, size=int(rng.integers(3, 7))))

    gold = [labels[i % len(labels)] for i in range(INSTANCES)]
    rng.shuffle(gold)
    return {
        "Contributors": ["test"], "Source": ["test"], "Categories": ["Classification"],
        "Definition": [f"Read the sentence and answer with one of {' or '.join(labels)} for {name}."],
        "Positive Examples": [{"input": sentence(), "output": labels[i % len(labels)], "explanation": "because"}
                              for i in range(2)],
        "Negative Examples": [],
        "Instances": [{"id": f"{name}-{i}", "input": sentence(), "output": [label]} for i, label in enumerate(gold)],
    }


def write_superni(folder: Path) -> Path:
    """A SuperNI-layout folder: 4 classification training tasks plus one generation task (which
    must be left out), 4 held-out classification tasks, 20 instances each."""
    rng = np.random.default_rng(7)
    (folder / "tasks").mkdir(parents=True)
    (folder / "splits" / "default").mkdir(parents=True)
    tasks = {**TRAIN_TASKS, **TEST_TASKS}
    for name, labels in tasks.items():
        (folder / "tasks" / f"{name}.json").write_text(json.dumps(_task_json(name, labels, rng)), encoding="utf-8")
    generation = _task_json("task005_generation", ("x",), rng)
    for i, instance in enumerate(generation["Instances"]):
        instance["output"] = [f"sentence number {i}"]
    (folder / "tasks" / "task005_generation.json").write_text(json.dumps(generation), encoding="utf-8")
    (folder / "splits" / "default" / "train_tasks.txt").write_text("\n".join([*TRAIN_TASKS, "task005_generation"]) + "\n")
    (folder / "splits" / "default" / "test_tasks.txt").write_text("\n".join(TEST_TASKS) + "\n")
    return folder


def write_model(folder: Path, superni_dir: Path) -> Path:
    """A 1-layer T5 (d_model 32) with random weights and a word-level tokenizer trained on the
    SuperNI folder's text, saved with save_pretrained: a model folder made without a download."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    texts = [superni.tk_instruct_prompt("Output one of: a, b.", [("x", "y")], "z"), "Definition: ."]
    for path in (superni_dir / "tasks").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        texts += data["Definition"] + [e["input"] + " " + e["output"] for e in data["Positive Examples"]]
        texts += [i["input"] + " " + " ".join(i["output"]) for i in data["Instances"]]
    core = Tokenizer(models.WordLevel(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>"]))
    core.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    config = T5Config(vocab_size=core.get_vocab_size(), d_model=32, d_kv=8, d_ff=64, num_layers=1,
                      num_decoder_layers=1, num_heads=2, relative_attention_num_buckets=8,
                      pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module", autouse=True)
def no_network() -> Iterator[None]:
    """Any attempt to open a connection fails the test that made it."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args[1:] if len(args) > 1 else args}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("hf_seq2seq")
    data = write_superni(root / "superni")
    return {"superni": data, "model": write_model(root / "model", data), "root": root}


@pytest.fixture(scope="module")
def parameters(world: dict[str, Path]) -> dict[str, object]:
    return {**PARAMETERS, "model_dir": str(world["model"]), "superni_dir": str(world["superni"])}


@pytest.fixture(scope="module")
def run(world: dict[str, Path], parameters: dict[str, object]) -> dict[str, list]:
    """Every condition run once into one workdir: condition -> everything it yielded."""
    workdir = world["root"] / "run"
    return {condition: list(hf_seq2seq.run_condition(condition, parameters, SEEDS, workdir))
            for condition in hf_seq2seq.CONDITIONS}


def _results(items: Iterable[object]) -> dict[str, Result]:
    return {item.metric: item for item in items if isinstance(item, Result)}


# -- normalisation and exact match ----------------------------------------------------------------

def test_normalise_answer_follows_superni() -> None:
    assert superni.normalise_answer("  Yes!  ") == "yes"
    assert superni.normalise_answer("Not\tsure,  really.") == "not sure really"
    assert superni.normalise_answer("The cat") == "the cat"  # SuperNI keeps articles
    assert superni.normalise_answer("The cat", remove_articles=True) == "cat"
    assert superni.normalise_answer("") == ""


def test_exact_match_takes_the_best_reference() -> None:
    assert superni.exact_match("Positive.", ["negative", "POSITIVE"]) == 1.0
    assert superni.exact_match("positive review", ["positive"]) == 0.0
    assert superni.exact_match("anything", []) == 0.0


def test_classification_rule() -> None:
    assert superni.classification_space(["b", "a"] * 10) == ("a", "b")
    assert superni.classification_space([str(i) for i in range(11)] * 5) == ()  # more than 10 labels
    assert superni.classification_space(["a"] * 99 + ["b"]) == ()  # "b" is 1% < 2%
    assert superni.classification_space(["a"] * 10) == ()  # one label is no choice


# -- loading SuperNI ------------------------------------------------------------------------------

def test_load_superni_reads_the_layout(world: dict[str, Path]) -> None:
    train = superni.load_superni(world["superni"], "train_tasks.txt")
    assert [t.name for t in train] == [*TRAIN_TASKS, "task005_generation"]
    assert [t.is_classification for t in train] == [True, True, True, True, False]
    assert train[3].output_space == ("angry", "calm", "happy", "sad")
    assert len(train[0].instances) == INSTANCES and len(train[0].examples) == 2
    same = superni.load_superni(world["superni"], "splits/default/train_tasks.txt")
    assert same == train


def test_load_superni_names_the_bad_file(tmp_path: Path) -> None:
    folder = write_superni(tmp_path / "superni")
    broken = folder / "tasks" / "task101_two_polarity.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ExperimentError, match="task101_two_polarity.json: not valid JSON"):
        superni.load_superni(folder, "test_tasks.txt")
    broken.write_text(json.dumps({"Definition": ["d"], "Instances": []}), encoding="utf-8")
    with pytest.raises(ExperimentError, match="task101_two_polarity.json: missing key.*Positive Examples"):
        superni.load_superni(folder, "test_tasks.txt")
    with pytest.raises(ExperimentError, match="no tasks/ folder"):
        superni.load_superni(tmp_path, "test_tasks.txt")
    with pytest.raises(ExperimentError, match="nothing.txt"):
        superni.load_superni(folder, "nothing.txt")


# -- conditions and prompts -----------------------------------------------------------------------

def test_simplified_definition_lists_exactly_the_output_space(world: dict[str, Path]) -> None:
    for task in superni.load_superni(world["superni"], "train_tasks.txt")[:4]:
        text = superni.simplified_definition(task)
        assert text.startswith("Output one of: ") and text.endswith(".")
        assert tuple(text.removeprefix("Output one of: ").removesuffix(".").split(", ")) == task.output_space


def test_delusive_examples_are_wrong_but_in_the_output_space(world: dict[str, Path]) -> None:
    tasks = [t for t in superni.load_superni(world["superni"], "train_tasks.txt") if t.is_classification]
    for task in tasks:
        correct = superni.correct_examples(task, superni.task_rng(0))
        for seed in range(5):
            _, delusive = superni.condition_inputs(task, "original+delusive", seed)
            assert [given for given, _ in delusive] == [given for given, _ in correct]
            for (_, right), (_, wrong) in zip(correct, delusive):
                assert wrong in task.output_space and wrong != right
        assert superni.condition_inputs(task, "original+delusive", 3) == superni.condition_inputs(
            task, "original+delusive", 3)  # seeded
    generation = superni.load_superni(world["superni"], "train_tasks.txt")[4]
    with pytest.raises(ExperimentError, match="not a classification task"):
        superni.condition_inputs(generation, "simplified+none", 0)


def test_conditions_and_their_names() -> None:
    assert len(superni.CONDITIONS) == 9 and superni.CONDITIONS[0] == "original+correct"
    assert superni.parse_condition("empty+none") == ("empty", "none")
    with pytest.raises(ExperimentError, match="definition in original, simplified, empty"):
        superni.parse_condition("simple+none")
    task = SuperNITask("t", "Say it", (("in1", "a"), ("in2", "b")), (), ("a", "b"))
    assert superni.condition_inputs(task, "empty+none", 0) == ("", ())
    assert superni.condition_inputs(task, "simplified+correct", 0) == ("Output one of: a, b.", task.examples)


def test_tk_instruct_prompt_format() -> None:
    text = superni.tk_instruct_prompt("Say yes or no", [("It rains", "yes"), ("Sunny!", "no")], "Cold")
    assert text == ("Definition: Say yes or no.\n\n"
                    "Positive Example 1 -\nInput: It rains.\nOutput: yes.\n\n"
                    "Positive Example 2 -\nInput: Sunny!\nOutput: no.\n\n"
                    "Now complete the following example -\nInput: Cold.\nOutput:")


def test_long_prompts_drop_demonstrations_then_keep_the_output_cue(world: dict[str, Path]) -> None:
    tokenizer, _ = hf_seq2seq.load_model(world["model"])
    task = superni.load_superni(world["superni"], "test_tasks.txt")[0]
    full = hf_seq2seq.source_texts(tokenizer, task, "original+correct", 0, ["red cat"], 512)[0]
    assert "Positive Example 2" in full
    shorter = hf_seq2seq.source_texts(tokenizer, task, "original+correct", 0, ["red cat"], 40)[0]
    assert "Positive Example 2" not in shorter and len(tokenizer(shorter)["input_ids"]) <= 40
    cut = hf_seq2seq.source_texts(tokenizer, task, "original+none", 0, ["red cat " * 40], 16)[0]
    assert cut.endswith("\nOutput:") and len(tokenizer(cut)["input_ids"]) <= 16


# -- metrics --------------------------------------------------------------------------------------

def test_task_scores_split_em_into_compliance_and_accuracy() -> None:
    task = SuperNITask("t", "d", (), (("1", ("a",)), ("2", ("b",)), ("3", ("a",)), ("4", ("b",))), ("a", "b"))
    score = superni.score_task(task, ["A", "a", "maybe", "b."])
    assert (score.exact_match, score.compliance, score.accuracy_in_space) == (0.5, 0.75, pytest.approx(2 / 3))
    assert np.isnan(superni.score_task(task, ["x"] * 4).accuracy_in_space)
    value, low, high, n = superni.summarise([[score]], "em")
    assert (value, low, high, n) == (50.0, 50.0, 50.0, 1)


# -- the model folder -----------------------------------------------------------------------------

def test_a_missing_model_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-t5"
    with pytest.raises(ExperimentError, match="no-such-t5 does not exist"):
        hf_seq2seq.load_model(missing)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExperimentError, match="empty has no config.json"):
        hf_seq2seq.load_model(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ExperimentError, match="junk"):
        hf_seq2seq.load_model(tmp_path / "junk")


def test_loading_is_offline(world: dict[str, Path]) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    with socket.socket() as probe, pytest.raises(AssertionError, match="network access attempted"):
        probe.connect(("127.0.0.1", 9))  # the guard is on
    tokenizer, model = hf_seq2seq.load_model(world["model"])  # sockets refuse: see no_network
    assert model.config.d_model == 32 and tokenizer.pad_token_id == 0


def test_missing_parameters_are_named(parameters: dict[str, object], tmp_path: Path) -> None:
    incomplete = {k: v for k, v in parameters.items() if k not in ("lr", "max_tasks")}
    with pytest.raises(ExperimentError, match="lr, max_tasks"):
        list(hf_seq2seq.run_condition("original+correct", incomplete, SEEDS, tmp_path))
    with pytest.raises(ExperimentError, match="no condition"):
        list(hf_seq2seq.run_condition("original+wrong", parameters, SEEDS, tmp_path))


# -- every condition end to end -------------------------------------------------------------------

def test_every_condition_yields_its_metrics(run: dict[str, list]) -> None:
    splits = ("all", "two_label", "multi_label")
    baselines = _results(run["baselines"])
    for prefix in ("untuned/em", "untuned/compliance", "random/em", "constant/em"):
        assert {f"{prefix}/{split}" for split in splits} <= set(baselines)
    for condition in superni.CONDITIONS:
        results = _results(run[condition])
        for n in (2, 4):
            for metric in ("em", "compliance"):
                assert {f"{metric}/{split}/n{n}" for split in splits} <= set(results), condition
    for condition, items in run.items():
        assert all(item.condition == condition for item in items if isinstance(item, Result))
        progress = [item for item in items if isinstance(item, Progress)]
        assert len(progress) >= 3 and all(0 <= p.step <= p.total for p in progress)
        assert progress[-1].step == progress[-1].total
        for result in _results(items).values():
            assert result.ci_low <= result.value <= result.ci_high and result.n >= 1
            if "compliance" in result.metric or "/em/" in f"/{result.metric}":
                assert 0.0 <= result.value <= 100.0


def test_random_baseline_matches_one_over_the_output_space(run: dict[str, list], world: dict[str, Path]) -> None:
    tasks = [t for t in superni.load_superni(world["superni"], "test_tasks.txt")]
    expected = 100 * np.mean([1 / len(t.output_space) for t in tasks])
    random = _results(run["baselines"])["random/em/all"]
    assert random.ci_low <= expected <= random.ci_high
    assert random.n == len(tasks)
    assert _results(run["baselines"])["random/em/two_label"].n == 2


def test_constant_baseline_scores_the_majority_share(run: dict[str, list]) -> None:
    constant = _results(run["baselines"])["constant/em/all"]
    assert 0.0 <= constant.value <= 100.0 and constant.n == len(TEST_TASKS)


def test_a_resumed_run_reuses_the_cache(world: dict[str, Path], parameters: dict[str, object],
                                        run: dict[str, list], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached condition loaded the model again")

    monkeypatch.setattr(hf_seq2seq, "load_model", no_model)
    workdir = world["root"] / "run"
    for condition in ("baselines", "simplified+delusive"):
        again = list(hf_seq2seq.run_condition(condition, parameters, SEEDS, workdir))
        assert _results(again) == _results(run[condition])
    # untuned answers do not depend on training settings; n=4 does not depend on the other n
    baselines = list(hf_seq2seq.run_condition("baselines", {**parameters, "lr": 0.5, "epochs": 9}, SEEDS, workdir))
    assert _results(baselines) == _results(run["baselines"])
    only_n4 = _results(hf_seq2seq.run_condition("empty+correct", {**parameters, "n_values": "4"}, SEEDS, workdir))
    assert only_n4 == {k: v for k, v in _results(run["empty+correct"]).items() if k.endswith("/n4")}
    cached = sorted(p.relative_to(workdir).as_posix() for p in workdir.rglob("*.json"))
    assert len(cached) == 1 + 9 * 2 * len(SEEDS)
    sample = json.loads((workdir / cached[-1]).read_text(encoding="utf-8"))
    assert set(sample["predictions"]) == set(TEST_TASKS)
    assert all(len(answers) == PARAMETERS["instances"] for answers in sample["predictions"].values())


def test_training_teaches_the_targets(world: dict[str, Path], parameters: dict[str, object]) -> None:
    """train() and generate() work together: a few passes over four prompts make the model
    answer them (the end-to-end runs are too short for that, and their tiny model answers '')."""
    tokenizer, model = hf_seq2seq.load_model(world["model"])
    task = superni.load_superni(world["superni"], "test_tasks.txt")[1]
    inputs = [given for given, _ in task.instances[:4]]
    targets = [outputs[0] for _, outputs in task.instances[:4]]
    sources = hf_seq2seq.source_texts(tokenizer, task, "simplified+none", 0, inputs, 96)
    settings = hf_seq2seq.Settings.from_parameters({**parameters, "epochs": 60, "lr": 1e-2, "batch_size": 4})
    steps = list(hf_seq2seq.train(tokenizer, model, sources, targets, settings, seed=0))
    assert steps == list(range(1, 61))
    answers = [a for batch in hf_seq2seq.generate(tokenizer, model, sources, settings) for a in batch]
    assert answers == targets
